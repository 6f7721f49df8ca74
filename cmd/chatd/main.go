package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chatd:", err)
		os.Exit(1)
	}
}

const usage = `usage: chatd [serve | worker | migrate up|down|version | backup FILE | healthcheck | vapid | admin ...]`

// run is main without the process: tests call it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "-h" || cmd == "--help" || cmd == "help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout, true)
	case "worker":
		if cfg.Workers == 0 {
			cfg.Workers = 1
		}
		return serve(ctx, cfg, stdout, false)
	case "migrate":
		if len(args) != 1 {
			return fmt.Errorf("%s", usage)
		}
		return migrate(ctx, cfg, args[0], stdout)
	case "backup":
		if len(args) != 1 {
			return fmt.Errorf("%s", usage)
		}
		return backup(ctx, cfg, args[0], stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	case "vapid":
		return printVAPID(stdout)
	case "admin":
		return admin(ctx, cfg, args, os.Stdin, stdout)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
