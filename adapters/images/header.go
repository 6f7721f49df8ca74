package images

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	_ "image/gif" // DecodeConfig for GIF headers
	_ "image/jpeg"
	_ "image/png"
	"io"

	"chat/domain"
	"chat/ports"
)

var (
	errUnsupported = domain.Errorf(domain.Unsupported, "unsupported_image", "only JPEG, PNG, WebP and GIF images are accepted")
	errCorrupt     = domain.Errorf(domain.Invalid, "invalid_image", "the image is corrupt or truncated")
)

func errTooLarge(w, h int) error {
	return domain.Errorf(domain.Invalid, "image_too_large", "the image has %d×%d pixels; at most %d pixels are accepted", w, h, ports.MaxImagePixels)
}

// sniff recognises an accepted format from its magic bytes.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return ports.ImageJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return ports.ImagePNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return ports.ImageGIF
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return ports.ImageWebP
	}
	return ""
}

// probe reads the header and walks the structure without decoding pixels.
func probe(b []byte) (ports.ImageInfo, error) {
	format := sniff(b)
	if format == "" {
		return ports.ImageInfo{}, errUnsupported
	}
	var w, h int
	var ok bool
	switch format {
	case ports.ImageWebP:
		w, h, ok = webpSize(b)
	default:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		w, h, ok = cfg.Width, cfg.Height, err == nil
	}
	if !ok || w <= 0 || h <= 0 {
		return ports.ImageInfo{}, errCorrupt
	}
	if int64(w)*int64(h) > ports.MaxImagePixels {
		return ports.ImageInfo{}, errTooLarge(w, h)
	}
	complete := true
	switch format {
	case ports.ImageJPEG:
		complete = jpegComplete(b)
	case ports.ImagePNG:
		complete = pngComplete(b)
	case ports.ImageWebP:
		complete = int64(binary.LittleEndian.Uint32(b[4:8]))+8 <= int64(len(b))
	case ports.ImageGIF:
		complete = b[len(b)-1] == 0x3B // the trailer
	}
	if !complete {
		return ports.ImageInfo{}, errCorrupt
	}
	return ports.ImageInfo{Format: format, Width: w, Height: h}, nil
}

// webpSize reads the canvas size of a lossy (VP8), lossless (VP8L) or
// extended (VP8X) WebP.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 {
		return 0, 0, false
	}
	chunk, d := string(b[12:16]), b[20:]
	switch chunk {
	case "VP8 ":
		// 3-byte frame tag, start code 9d 01 2a, then 14-bit sizes.
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(d[6:8]) & 0x3fff), int(binary.LittleEndian.Uint16(d[8:10]) & 0x3fff), true
	case "VP8L":
		if d[0] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(d[1:5])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8X":
		u24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
		return u24(d[4:7]) + 1, u24(d[7:10]) + 1, true
	}
	return 0, 0, false
}

// jpegComplete walks the JPEG's segments and entropy-coded scans and
// reports whether the end-of-image marker is reached inside b. Segment
// lengths are followed, so an EXIF thumbnail's own EOI does not count.
func jpegComplete(b []byte) bool {
	i := 2 // after SOI
	for i+1 < len(b) {
		if b[i] != 0xFF {
			return false
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		i += 2
		switch {
		case m == 0xD9: // EOI
			return true
		case m == 0x01 || m >= 0xD0 && m <= 0xD7: // no length
			continue
		}
		if i+2 > len(b) {
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return false
		}
		i += n
		if m == 0xDA { // scan data runs to the next marker that is not a stuffed 0 or a restart
			for ; i+1 < len(b); i++ {
				if b[i] == 0xFF && b[i+1] != 0 && !(b[i+1] >= 0xD0 && b[i+1] <= 0xD7) {
					break
				}
			}
		}
	}
	return false
}

// pngComplete walks the chunks up to IEND.
func pngComplete(b []byte) bool {
	for i := 8; i+12 <= len(b); {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		if string(b[i+4:i+8]) == "IEND" {
			return true
		}
		next := int64(i) + 12 + n
		if next > int64(len(b)) {
			return false
		}
		i = int(next)
	}
	return false
}

// pngPixelsComplete inflates the PNG's image data (without decoding it
// into pixels) and reports whether it holds every row the header promises.
// libvips fills missing rows of a short PNG with black and only warns, so
// this is what makes such an image fail instead of becoming a thumbnail.
func pngPixelsComplete(b []byte, w, h int) bool {
	if len(b) < 33 {
		return false
	}
	depth, colour, interlaced := int64(b[24]), b[25], b[28] == 1
	channels := map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
	if channels == 0 {
		return false
	}
	bpp := channels * depth // bits per pixel
	rows := func(cols, n int64) int64 {
		if cols <= 0 || n <= 0 {
			return 0
		}
		return n * (1 + (cols*bpp+7)/8) // a filter byte per row
	}
	want := rows(int64(w), int64(h))
	if interlaced { // Adam7: seven passes over sub-grids
		want = 0
		for _, p := range [7][4]int64{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
			want += rows((int64(w)-p[0]+p[2]-1)/p[2], (int64(h)-p[1]+p[3]-1)/p[3])
		}
	}
	var idat []io.Reader
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || i+12+n > len(b) {
			return false
		}
		if string(b[i+4:i+8]) == "IDAT" {
			idat = append(idat, bytes.NewReader(b[i+8:i+8+n]))
		}
		i += 12 + n
	}
	zr, err := zlib.NewReader(io.MultiReader(idat...))
	if err != nil {
		return false
	}
	got, err := io.CopyN(io.Discard, zr, want)
	return err == nil && got == want
}
