package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"chat/adapters/auth"
	"chat/application"
	"chat/domain/user"
)

const adminUsage = `usage: chatd admin grant USERNAME | revoke USERNAME
       chatd admin create-user USERNAME [--admin] [--password-stdin]
       chatd admin reset-password USERNAME [--password-stdin]
A password is read from the first line of standard input with --password-stdin;
otherwise one is generated and printed once.`

// admin runs the operator's commands against the configured database (and,
// in scale-out, Redis: a reset password's sessions end on every instance at
// once; embedded, the running server's cache notices within a minute). The
// work is the application's (application.Admin), as for any other driving
// adapter.
func admin(ctx context.Context, cfg config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 {
		return errors.New(adminUsage)
	}
	cmd, name, flags := args[0], args[1], args[2:]
	var asAdmin, fromStdin bool
	for _, f := range flags {
		switch {
		case f == "--admin" && cmd == "create-user":
			asAdmin = true
		case f == "--password-stdin" && (cmd == "create-user" || cmd == "reset-password"):
			fromStdin = true
		default:
			return fmt.Errorf("unknown argument %q\n%s", f, adminUsage)
		}
	}
	switch cmd {
	case "grant", "revoke", "create-user", "reset-password":
	default:
		return fmt.Errorf("unknown admin command %q\n%s", cmd, adminUsage)
	}
	var password string
	if cmd == "create-user" || cmd == "reset-password" {
		var err error
		if password, err = readPassword(stdin, fromStdin); err != nil {
			return err
		}
	}

	app, closeApp, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeApp()
	switch cmd {
	case "grant", "revoke":
		u, err := app.SetAdmin(ctx, name, cmd == "grant")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (id %d) is %s\n", u.Username, u.ID, role(u))
	case "create-user":
		u, err := app.CreateUser(ctx, name, password, asAdmin)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (id %d), %s\n", u.Username, u.ID, role(u))
		if !fromStdin {
			fmt.Fprintf(stdout, "password: %s\n", password)
		}
	case "reset-password":
		if err := app.ResetPassword(ctx, name, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset; every session of it ended\n", strings.ToLower(name))
		if !fromStdin {
			fmt.Fprintf(stdout, "password: %s\n", password)
		}
	}
	return nil
}

func role(u user.User) string {
	if u.Admin {
		return "an administrator"
	}
	return "not an administrator"
}

// readPassword reads the first line of r (fromStdin), or generates a
// password: 26 characters of crypto/rand, 130 bits.
func readPassword(r io.Reader, fromStdin bool) (string, error) {
	if !fromStdin {
		return rand.Text(), nil
	}
	const max = 4*user.PasswordMax + 2 // UTF-8 and a CRLF
	line, err := bufio.NewReaderSize(io.LimitReader(r, max), max).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	if err != nil && len(line) == max {
		return "", errors.New("--password-stdin: the password is too long")
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: standard input holds no password")
	}
	return line, nil
}

// openAdmin builds the application on the configured database and live
// adapters, for the operator's commands: no HTTP, no workers.
func openAdmin(ctx context.Context, cfg config) (application.Administration, func(), error) {
	if cfg.embedded() {
		if err := ensureSecret(&cfg); err != nil {
			return nil, nil, err
		}
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	lv, err := openLive(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	closeAll := func() { lv.close(); db.Close() }
	tokens, err := auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL, nil)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	app, err := application.New(application.Deps{
		Users: db.Users(), Accounts: db.Users(), Roles: db.Users(), Rooms: db.Rooms(), Members: db.Members(),
		Messages: db.Messages(), Reads: db.Reads(), Invites: db.Invites(),
		Bus: lv.bus, Presence: lv.presence, Cache: lv.cache, Tokens: tokens,
		Passwords: &auth.Passwords{Params: auth.DefaultParams},
		Sessions:  db.Sessions(), SessionCache: lv.sessions, Tickets: lv.tickets,
		Logger: newLogger(cfg, os.Stderr), Limits: cfg.Limits,
	})
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("start the application: %w", err)
	}
	return app.Admin, closeAll, nil
}
