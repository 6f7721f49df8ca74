package images

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"github.com/h2non/bimg"

	"chat/domain"
	"chat/ports"
)

var _ ports.ImageProcessor = (*Processor)(nil)

// AvatarSize is the side of the square avatar.
const AvatarSize = 256

// Processor is the libvips image processor. It is safe for concurrent use.
type Processor struct {
	out     bimg.ImageType
	format  string
	quality int
}

// New returns a processor writing WebP, or JPEG where libvips was built
// without WebP support.
//
// It turns libvips' operation cache off, for the whole process: bimg hands
// libvips Go buffers by address, and a cache keyed by that address could
// answer a later image at a reused address with an earlier one. Each image
// is processed once, so the cache gains nothing here.
func New() *Processor {
	bimg.VipsCacheSetMax(0)
	bimg.VipsCacheSetMaxMem(0)
	if bimg.IsTypeSupportedSave(bimg.WEBP) {
		return &Processor{out: bimg.WEBP, format: ports.ImageWebP, quality: 82}
	}
	return &Processor{out: bimg.JPEG, format: ports.ImageJPEG, quality: 85}
}

// Probe reads format and dimensions without decoding.
func (p *Processor) Probe(ctx context.Context, data []byte) (ports.ImageInfo, error) {
	return probe(data)
}

// Avatar scales the image so its shorter side is AvatarSize and crops the
// most interesting square (libvips' attention strategy).
func (p *Processor) Avatar(ctx context.Context, data []byte) ([]byte, ports.ImageInfo, error) {
	info, err := p.check(ctx, data)
	if err != nil {
		return nil, ports.ImageInfo{}, err
	}
	scale := float64(AvatarSize) / float64(min(info.Width, info.Height))
	if data, err = p.shrinkBeforeRotating(data, info, scale); err != nil {
		return nil, ports.ImageInfo{}, err
	}
	return p.process(data, bimg.Options{
		Width: AvatarSize, Height: AvatarSize,
		Crop: true, Gravity: bimg.GravitySmart, Enlarge: true,
	})
}

// Thumbnail fits the image within maxW×maxH. The target size is computed
// here from the oriented dimensions, so the aspect ratio is exact and small
// images keep their size.
func (p *Processor) Thumbnail(ctx context.Context, data []byte, maxW, maxH int) ([]byte, ports.ImageInfo, error) {
	if maxW <= 0 || maxH <= 0 {
		return nil, ports.ImageInfo{}, fmt.Errorf("thumbnail bounds %d×%d", maxW, maxH)
	}
	info, err := p.check(ctx, data)
	if err != nil {
		return nil, ports.ImageInfo{}, err
	}
	orientation, err := exifOrientation(data)
	if err != nil {
		return nil, ports.ImageInfo{}, err
	}
	w, h := info.Width, info.Height
	if orientation >= 5 { // a quarter turn: fit the displayed shape
		maxW, maxH = maxH, maxW
	}
	scale := math.Min(1, math.Min(float64(maxW)/float64(w), float64(maxH)/float64(h)))
	tw := max(1, int(math.Round(float64(w)*scale)))
	th := max(1, int(math.Round(float64(h)*scale)))
	if data, err = p.shrinkBeforeRotating(data, info, scale); err != nil {
		return nil, ports.ImageInfo{}, err
	}
	if orientation >= 5 {
		tw, th = th, tw
	}
	return p.process(data, bimg.Options{Width: tw, Height: th, Force: true})
}

// check probes data, and for a PNG also checks that its compressed pixels
// are all there, before libvips sees it. It stops early when the caller
// has gone.
func (p *Processor) check(ctx context.Context, data []byte) (ports.ImageInfo, error) {
	if err := ctx.Err(); err != nil {
		return ports.ImageInfo{}, err
	}
	info, err := probe(data)
	if err != nil {
		return ports.ImageInfo{}, err
	}
	if info.Format == ports.ImagePNG && !pngPixelsComplete(data, info.Width, info.Height) {
		return ports.ImageInfo{}, errCorrupt
	}
	return info, nil
}

func corrupt(err error) error {
	return domain.Wrap(domain.Invalid, "invalid_image", "the image is corrupt or truncated", err)
}

// exifOrientation reads the EXIF orientation (1–8; 0 when absent).
func exifOrientation(data []byte) (int, error) {
	meta, err := bimg.NewImage(data).Metadata()
	runtime.KeepAlive(data)
	if err != nil {
		return 0, corrupt(err)
	}
	if meta.Orientation < 0 || meta.Orientation > 8 {
		return 0, nil
	}
	return meta.Orientation, nil
}

// shrinkBeforeRotating scales a rotated JPEG by scale (< 1) without
// rotating it, keeping its EXIF orientation for the final pass.
//
// bimg rotates a JPEG with an EXIF orientation before it shrinks it: it
// re-encodes all the pixels (over 10× slower for a camera photo) and then
// decodes that new buffer lazily after the Go code stopped referencing it,
// which the garbage collector may free under libvips' feet. Shrinking first
// avoids both: the final pass then works on an image already at its size.
func (p *Processor) shrinkBeforeRotating(data []byte, info ports.ImageInfo, scale float64) ([]byte, error) {
	if info.Format != ports.ImageJPEG || scale >= 1 {
		return data, nil
	}
	orientation, err := exifOrientation(data)
	if err != nil || orientation <= 1 {
		return data, err
	}
	small, err := bimg.NewImage(data).Process(bimg.Options{
		Width:  max(1, int(math.Round(float64(info.Width)*scale))),
		Height: max(1, int(math.Round(float64(info.Height)*scale))),
		Force:  true, NoAutoRotate: true, Type: bimg.JPEG, Quality: 95,
	})
	runtime.KeepAlive(data)
	if err != nil {
		return nil, corrupt(err)
	}
	return small, nil
}

// process runs one libvips pipeline: EXIF auto-rotation (bimg's default),
// the resize in o, metadata stripped, encoded as p.out. libvips failures at
// this point come from the image's content (the header was valid), so they
// are permanent.
func (p *Processor) process(data []byte, o bimg.Options) ([]byte, ports.ImageInfo, error) {
	o.StripMetadata = true
	o.Type = p.out
	o.Quality = p.quality
	out, err := bimg.NewImage(data).Process(o)
	// libvips reads data lazily while it processes; it must outlive the call.
	runtime.KeepAlive(data)
	if err != nil {
		return nil, ports.ImageInfo{}, corrupt(err)
	}
	if p.out == bimg.WEBP {
		if out, err = stripWebP(out); err != nil {
			return nil, ports.ImageInfo{}, fmt.Errorf("strip WebP metadata: %w", err)
		}
	}
	size, err := bimg.NewImage(out).Size()
	runtime.KeepAlive(out)
	if err != nil {
		return nil, ports.ImageInfo{}, fmt.Errorf("read processed image size: %w", err)
	}
	return out, ports.ImageInfo{Format: p.format, Width: size.Width, Height: size.Height}, nil
}
