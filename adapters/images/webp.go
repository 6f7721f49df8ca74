package images

import (
	"encoding/binary"
	"errors"
)

// stripWebP removes the EXIF and XMP chunks of a WebP file. libvips 8.14's
// webpsave writes a small EXIF block (orientation, resolution) even when
// asked to strip metadata; removing the chunks here guarantees that no
// metadata leaves the server whatever the libvips version.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, errors.New("not a WebP file")
	}
	out := make([]byte, 12, len(b))
	copy(out, b[:12])
	vp8x := -1
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, errors.New("truncated WebP chunk header")
		}
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n%2 // chunks are padded to an even size
		if n < 0 || end > len(b) {
			return nil, errors.New("truncated WebP chunk")
		}
		switch string(b[i : i+4]) {
		case "EXIF", "XMP ":
		case "VP8X":
			vp8x = len(out)
			out = append(out, b[i:end]...)
		default:
			out = append(out, b[i:end]...)
		}
		i = end
	}
	if vp8x >= 0 && vp8x+8 < len(out) {
		out[vp8x+8] &^= 0x08 | 0x04 // the EXIF and XMP flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
