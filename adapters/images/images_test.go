package images_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/h2non/bimg"

	"chat/adapters/images"
	"chat/adapters/images/imagestest"
	"chat/domain"
	"chat/ports"
)

func TestProbeImageFiles(t *testing.T) {
	p := images.New()
	for _, tc := range []struct {
		name     string
		data     []byte
		want     ports.ImageInfo
		wantKind domain.Kind
		wantCode string
	}{
		{name: "png", data: imagestest.PNG(t, 64, 48), want: ports.ImageInfo{Format: "png", Width: 64, Height: 48}},
		{name: "jpeg", data: imagestest.JPEG(t, 64, 48), want: ports.ImageInfo{Format: "jpeg", Width: 64, Height: 48}},
		{name: "jpeg with exif", data: imagestest.JPEGWithOrientation(t, 64, 48, 6), want: ports.ImageInfo{Format: "jpeg", Width: 64, Height: 48}},
		{name: "webp", data: imagestest.WebP(t, 64, 48), want: ports.ImageInfo{Format: "webp", Width: 64, Height: 48}},
		{name: "gif", data: imagestest.GIF(t, 64, 48), want: ports.ImageInfo{Format: "gif", Width: 64, Height: 48}},
		{name: "zero bytes", data: nil, wantKind: domain.Unsupported},
		{name: "text", data: []byte("hello, this is not an image\n"), wantKind: domain.Unsupported},
		{name: "svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), wantKind: domain.Unsupported},
		{name: "html", data: []byte("<!doctype html><script>alert(1)</script>"), wantKind: domain.Unsupported},
		{name: "jpeg magic only", data: []byte{0xFF, 0xD8, 0xFF}, wantKind: domain.Invalid},
		{name: "truncated jpeg", data: half(imagestest.JPEG(t, 64, 48)), wantKind: domain.Invalid},
		{name: "truncated png", data: half(imagestest.PNG(t, 64, 48)), wantKind: domain.Invalid},
		{name: "truncated webp", data: half(imagestest.WebP(t, 64, 48)), wantKind: domain.Invalid},
		{name: "truncated gif", data: half(imagestest.GIF(t, 64, 48)), wantKind: domain.Invalid},
		{name: "png pixel bomb", data: imagestest.BombPNG(30000, 30000), wantKind: domain.Invalid, wantCode: "image_too_large"},
		{name: "webp pixel bomb", data: imagestest.BombWebP(10000, 10000), wantKind: domain.Invalid, wantCode: "image_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Probe(context.Background(), tc.data)
			if tc.wantKind != domain.Internal {
				checkErr(t, err, tc.wantKind, tc.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Probe (-want +got):\n%s", diff)
			}
		})
	}
}

func half(b []byte) []byte { return b[:len(b)/2] }

func stdPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// paletted is a w×h paletted image with the marker corner.
func paletted(w, h int) image.Image {
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{imagestest.Marker, color.RGBA{G: 200, A: 255}})
	for y := range h {
		for x := range w {
			if !(x < w/4 && y < h/4) {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	return img
}

// grey16 is a 16-bit greyscale image, white in the marker corner (the
// marker test does not apply: grey has no red).
func grey16(w, h int) image.Image {
	img := image.NewGray16(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray16(x, y, color.Gray16{Y: uint16(x * 65535 / w)})
		}
	}
	return img
}

// interlacedPNG is an Adam7-interlaced PNG written by libvips (Go's encoder
// writes none).
func interlacedPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	b, err := bimg.NewImage(imagestest.PNG(t, w, h)).Process(bimg.Options{Type: bimg.PNG, Interlace: true})
	if err != nil {
		t.Fatal(err)
	}
	if b[28] != 1 {
		t.Fatal("libvips wrote a non-interlaced PNG")
	}
	return b
}

func checkErr(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want kind %v", kind)
	}
	if got := domain.KindOf(err); got != kind {
		t.Fatalf("kind = %v, want %v (err: %v)", got, kind, err)
	}
	if code != "" && domain.CodeOf(err) != code {
		t.Errorf("code = %q, want %q", domain.CodeOf(err), code)
	}
}

// decoded checks that out is a clean image of the processor's format and
// returns its pixels.
func decoded(t *testing.T, out []byte, info ports.ImageInfo) image.Image {
	t.Helper()
	img := bimg.NewImage(out)
	if got := img.Type(); got != info.Format || got != "webp" {
		t.Errorf("output type = %q, info says %q, want webp", got, info.Format)
	}
	meta, err := img.Metadata()
	if err != nil {
		t.Fatalf("output metadata: %v", err)
	}
	if meta.Orientation != 0 || meta.EXIF.Make != "" {
		t.Errorf("output keeps EXIF: orientation %d, make %q", meta.Orientation, meta.EXIF.Make)
	}
	for _, s := range []string{"Exif", "EXIF", imagestest.ExifMake} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
	pngBytes, err := img.Convert(bimg.PNG)
	if err != nil {
		t.Fatalf("convert output to PNG: %v", err)
	}
	pix, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	if b := pix.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
		t.Errorf("decoded %dx%d, info says %dx%d", b.Dx(), b.Dy(), info.Width, info.Height)
	}
	return pix
}

func isMarker(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r > 0xc000 && g < 0x4000 && b < 0x4000
}

func TestImageThumbnail(t *testing.T) {
	p := images.New()
	for _, tc := range []struct {
		name     string
		data     []byte
		wantW    int
		wantH    int
		markerAt [2]float64 // where the stored top-left corner ends up, as fractions
	}{
		{"png landscape", imagestest.PNG(t, 1200, 800), 400, 267, [2]float64{0.05, 0.05}},
		{"jpeg portrait", imagestest.JPEG(t, 800, 1200), 267, 400, [2]float64{0.05, 0.05}},
		{"webp wide", imagestest.WebP(t, 1000, 500), 400, 200, [2]float64{0.05, 0.05}},
		{"gif small is not enlarged", imagestest.GIF(t, 300, 200), 300, 200, [2]float64{0.05, 0.05}},
		{"interlaced png", interlacedPNG(t, 801, 603), 400, 301, [2]float64{0.05, 0.05}},
		{"paletted png", stdPNG(t, paletted(333, 500)), 266, 400, [2]float64{0.05, 0.05}},
		{"16-bit grey png", stdPNG(t, grey16(77, 45)), 77, 45, [2]float64{}},
		// Orientation 6: the stored 1200×800 is shown rotated 90° clockwise,
		// 800×1200, the stored top-left corner at the top right.
		{"jpeg exif orientation 6", imagestest.JPEGWithOrientation(t, 1200, 800, 6), 267, 400, [2]float64{0.95, 0.05}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, info, err := p.Thumbnail(context.Background(), tc.data, 400, 400)
			if err != nil {
				t.Fatalf("Thumbnail: %v", err)
			}
			if diff := cmp.Diff(ports.ImageInfo{Format: "webp", Width: tc.wantW, Height: tc.wantH}, info); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
			pix := decoded(t, out, info)
			if tc.markerAt == [2]float64{} {
				return
			}
			x, y := int(tc.markerAt[0]*float64(info.Width)), int(tc.markerAt[1]*float64(info.Height))
			if !isMarker(pix, x, y) {
				t.Errorf("pixel (%d,%d) = %v, want the red marker corner there", x, y, pix.At(x, y))
			}
		})
	}
}

func TestImageAvatar(t *testing.T) {
	p := images.New()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"png landscape", imagestest.PNG(t, 1200, 800)},
		{"small png is enlarged", imagestest.PNG(t, 100, 60)},
		{"jpeg exif orientation 6", imagestest.JPEGWithOrientation(t, 1200, 800, 6)},
		{"webp", imagestest.WebP(t, 500, 700)},
		{"gif", imagestest.GIF(t, 300, 300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, info, err := p.Avatar(context.Background(), tc.data)
			if err != nil {
				t.Fatalf("Avatar: %v", err)
			}
			want := ports.ImageInfo{Format: "webp", Width: images.AvatarSize, Height: images.AvatarSize}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
			decoded(t, out, info)
		})
	}
}

// TestHostileImageFiles feeds hostile inputs to every method: a clear kind,
// never a panic or an Internal error.
func TestHostileImageFiles(t *testing.T) {
	p := images.New()
	jpg := imagestest.JPEG(t, 640, 480)
	for _, tc := range []struct {
		name string
		data []byte
		kind domain.Kind
	}{
		{"zero bytes", nil, domain.Unsupported},
		{"text file", []byte("just some text, named photo.jpg"), domain.Unsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), domain.Unsupported},
		{"truncated jpeg", jpg[:len(jpg)*2/3], domain.Invalid},
		{"jpeg header only", jpg[:200], domain.Invalid},
		{"truncated png", half(imagestest.PNG(t, 300, 300)), domain.Invalid},
		{"png without its pixels", imagestest.BombPNG(64, 64), domain.Invalid},
		{"png pixel bomb", imagestest.BombPNG(30000, 30000), domain.Invalid},
		{"webp pixel bomb", imagestest.BombWebP(16000, 16000), domain.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := p.Thumbnail(context.Background(), tc.data, 400, 400)
			checkErr(t, err, tc.kind, "")
			_, _, err = p.Avatar(context.Background(), tc.data)
			checkErr(t, err, tc.kind, "")
		})
	}
}

// BenchmarkThumbnail12MP measures a camera-sized JPEG (4000×3000) becoming
// a thumbnail.
func BenchmarkThumbnail12MP(b *testing.B) {
	p := images.New()
	data := imagestest.JPEG(b, 4000, 3000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Thumbnail(context.Background(), data, 400, 400); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThumbnail12MPRotated is the same with EXIF orientation 6, which
// makes bimg rotate the full image before shrinking.
func BenchmarkThumbnail12MPRotated(b *testing.B) {
	p := images.New()
	data := imagestest.JPEGWithOrientation(b, 4000, 3000, 6)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Thumbnail(context.Background(), data, 400, 400); err != nil {
			b.Fatal(err)
		}
	}
}
