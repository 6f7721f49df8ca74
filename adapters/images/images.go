package images

import (
	"context"
	"fmt"
	"math"

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
func New() *Processor {
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
	if _, err := p.check(ctx, data); err != nil {
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
	meta, err := bimg.NewImage(data).Metadata()
	if err != nil {
		return nil, ports.ImageInfo{}, domain.Wrap(domain.Invalid, "invalid_image", "the image is corrupt or truncated", err)
	}
	quarterTurn := meta.Orientation >= 5 && meta.Orientation <= 8
	w, h := info.Width, info.Height
	scale := math.Min(1, math.Min(float64(maxW)/float64(w), float64(maxH)/float64(h)))
	if quarterTurn {
		scale = math.Min(1, math.Min(float64(maxW)/float64(h), float64(maxH)/float64(w)))
	}
	tw := max(1, int(math.Round(float64(w)*scale)))
	th := max(1, int(math.Round(float64(h)*scale)))
	if meta.Orientation > 1 && scale < 0.5 && info.Format == ports.ImageJPEG {
		// bimg rotates before it shrinks, which for a camera JPEG means
		// rotating and re-encoding all its pixels (over 10× slower). Shrink
		// first, keeping the EXIF orientation, then rotate the small image.
		small, err := bimg.NewImage(data).Process(bimg.Options{
			Width: tw, Height: th, Force: true, NoAutoRotate: true, Type: bimg.JPEG, Quality: 95,
		})
		if err != nil {
			return nil, ports.ImageInfo{}, domain.Wrap(domain.Invalid, "invalid_image", "the image is corrupt or truncated", err)
		}
		data = small
	}
	if quarterTurn {
		tw, th = th, tw
	}
	return p.process(data, bimg.Options{Width: tw, Height: th, Force: true})
}

// check probes data and stops early when the caller has gone.
func (p *Processor) check(ctx context.Context, data []byte) (ports.ImageInfo, error) {
	if err := ctx.Err(); err != nil {
		return ports.ImageInfo{}, err
	}
	return probe(data)
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
	if err != nil {
		return nil, ports.ImageInfo{}, domain.Wrap(domain.Invalid, "invalid_image", "the image is corrupt or truncated", err)
	}
	if p.out == bimg.WEBP {
		if out, err = stripWebP(out); err != nil {
			return nil, ports.ImageInfo{}, fmt.Errorf("strip WebP metadata: %w", err)
		}
	}
	size, err := bimg.NewImage(out).Size()
	if err != nil {
		return nil, ports.ImageInfo{}, fmt.Errorf("read processed image size: %w", err)
	}
	return out, ports.ImageInfo{Format: p.format, Width: size.Width, Height: size.Height}, nil
}
