package attachment_test

import (
	"strings"
	"testing"

	"chat/domain"
	"chat/domain/attachment"
)

func TestSanitizeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\evil.exe`, "evil.exe"},
		{"a\x00b\nc.txt", "abc.txt"},
		{"..", "file"},
		{"", "file"},
		{`quo"te.txt`, "quote.txt"},
		{strings.Repeat("ä", 300), strings.Repeat("ä", 255)},
		{"\u202egnp.exe", "gnp.exe"},
		{"invoice\u2066.pdf\u2069.exe", "invoice.pdf.exe"},
		{"re\u200bport\u200d.txt", "report.txt"},
		{"\ufeff\u200e.txt", "txt"},
		{"\u200b\u2060", "file"},
		{"a\xffb.txt", "a_b.txt"},
		{"👩\u200d💻.png", "👩\u200d💻.png"},
	}
	for _, tt := range tests {
		if got := attachment.SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateSize(t *testing.T) {
	if domain.KindOf(attachment.ValidateSize(0, 10)) != domain.Invalid {
		t.Error("empty accepted")
	}
	if domain.CodeOf(attachment.ValidateSize(11, 10)) != "file_too_large" {
		t.Error("over-size accepted")
	}
	if attachment.ValidateSize(10, 10) != nil {
		t.Error("max rejected")
	}
}
