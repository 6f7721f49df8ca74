package imagestest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/h2non/bimg"
)

// Marker is the colour of the top-left 1/4 × 1/4 corner of every generated
// image, so tests can tell where it went after a rotation.
var Marker = color.RGBA{R: 255, A: 255}

func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 0, G: uint8(x * 255 / w), B: uint8(y * 255 / h), A: 255}
			if x < w/4 && y < h/4 {
				c = Marker
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// PNG returns a w×h PNG.
func PNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// JPEG returns a w×h JPEG (as stored; no EXIF).
func JPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ExifMake is the camera make written into JPEGWithOrientation's EXIF, to
// check that processed images carry no metadata.
const ExifMake = "SpyCam"

// JPEGWithOrientation returns a w×h JPEG (as stored) with an EXIF APP1
// segment holding Make=ExifMake and Orientation=o (6: display rotated 90°
// clockwise, so the displayed image is h×w).
func JPEGWithOrientation(t testing.TB, w, h int, o uint16) []byte {
	t.Helper()
	plain := JPEG(t, w, h)
	// A big-endian TIFF header, then IFD0 with two entries (sorted by tag).
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM\x00\x2a")
	_ = binary.Write(&tiff, be, uint32(8)) // IFD0 offset
	_ = binary.Write(&tiff, be, uint16(2)) // entries
	const dataOffset = 8 + 2 + 2*12 + 4
	// Make (0x010F): ASCII, 7 bytes incl. NUL, stored at dataOffset.
	_ = binary.Write(&tiff, be, []uint16{0x010F, 2})
	_ = binary.Write(&tiff, be, []uint32{uint32(len(ExifMake) + 1), dataOffset})
	// Orientation (0x0112): SHORT, count 1, value left-aligned.
	_ = binary.Write(&tiff, be, []uint16{0x0112, 3})
	_ = binary.Write(&tiff, be, []uint32{1})
	_ = binary.Write(&tiff, be, []uint16{o, 0})
	_ = binary.Write(&tiff, be, uint32(0)) // no next IFD
	tiff.WriteString(ExifMake + "\x00")

	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(app1[2:], uint16(len(payload)+2))
	app1 = append(app1, payload...)

	out := append([]byte{}, plain[:2]...) // SOI
	out = append(out, app1...)
	return append(out, plain[2:]...)
}

// WebP returns a w×h WebP, converted from a PNG by libvips.
func WebP(t testing.TB, w, h int) []byte {
	t.Helper()
	b, err := bimg.NewImage(PNG(t, w, h)).Convert(bimg.WEBP)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// GIF returns a w×h GIF.
func GIF(t testing.TB, w, h int) []byte {
	t.Helper()
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{Marker, color.RGBA{G: 255, A: 255}, color.RGBA{B: 255, A: 255}})
	for y := range h {
		for x := range w {
			if !(x < w/4 && y < h/4) {
				pal.SetColorIndex(x, y, uint8(1+(x+y)%2))
			}
		}
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, pal, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// BombPNG is a small, well-formed PNG whose header claims w×h pixels (RGB,
// 8 bits): a decoder that trusts it allocates w×h×3 bytes.
func BombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // bit depth, colour type RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	// A tiny zlib stream (an empty stored block): the pixels are missing.
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// BombWebP is an extended-format (VP8X) WebP header claiming w×h pixels,
// with no image data.
func BombWebP(w, h int) []byte {
	vp8x := make([]byte, 10)
	put24 := func(p []byte, v int) { p[0], p[1], p[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(vp8x[4:], w-1)
	put24(vp8x[7:], h-1)
	body := append([]byte("WEBPVP8X\x0a\x00\x00\x00"), vp8x...)
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}
