package main

import (
	"strings"
	"testing"
)

func TestMetricsConfig(t *testing.T) {
	for _, tt := range []struct {
		env     []string
		want    string
		wantErr string
	}{
		{nil, "", ""},
		{[]string{"METRICS_ADDR", ":9090"}, ":9090", ""},
		{[]string{"METRICS_ADDR", "127.0.0.1:9090", "ADDR", "127.0.0.1:8000"}, "127.0.0.1:9090", ""},
		{[]string{"METRICS_ADDR", "10.0.0.1:8000", "ADDR", "127.0.0.1:8000"}, "10.0.0.1:8000", ""},
		{[]string{"METRICS_ADDR", "9090"}, "", "METRICS_ADDR"},
		{[]string{"METRICS_ADDR", "host:port"}, "", "METRICS_ADDR"},
		{[]string{"METRICS_ADDR", ":8000"}, "", "must not be ADDR's port"},
		{[]string{"METRICS_ADDR", "0.0.0.0:8080", "ADDR", "localhost:8080"}, "", "must not be ADDR's port"},
	} {
		c, err := loadConfig(env(tt.env...))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v, want it to mention %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.MetricsAddr != tt.want {
			t.Errorf("%v: MetricsAddr %q, %v; want %q", tt.env, c.MetricsAddr, err, tt.want)
		}
	}
}
