package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLadder(t *testing.T) {
	tests := []struct {
		name    string
		results []bool    // pass/fail of each step run
		want    []float64 // rates the steps ran at
	}{
		{"climbs until the first failure", []bool{true, true, false}, []float64{1000, 1500, 2250}},
		{"descends from a failing start until a pass", []bool{false, false, true}, []float64{1000, 1000 / 1.5, 1000 / 2.25}},
		{"gives up after the descents", []bool{false, false, false, false, false, false, false}, []float64{1000, 1000 / 1.5, 1000 / 2.25, 1000 / 3.375, 1000 / 5.0625, 1000 / 7.59375, 1000 / 11.390625}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ladder{rate: 1000, factor: 1.5}
			var got []float64
			for i, pass := range tt.results {
				got = append(got, l.rate)
				more := l.next(pass)
				if last := i == len(tt.results)-1; more == last {
					t.Fatalf("after step %d: next() = %v, want %v", i, more, !last)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
				t.Errorf("rates (-want +got):\n%s", diff)
			}
		})
	}
}
