// Package images implements ports.ImageProcessor with libvips through
// h2non/bimg (cgo; needs libvips-dev to build and libvips to run).
//
// Untrusted bytes meet pure Go first: the format is recognised from its
// magic bytes, the dimensions are read from the header with the standard
// library (WebP by hand), and the file's structure is walked to catch
// truncation. Only an image of an accepted format (JPEG, PNG, WebP, GIF) and
// at most ports.MaxImagePixels pixels ever reaches libvips, so a
// decompression bomb is refused before anything is decoded and SVG, PDF or
// TIFF never reach their libvips loaders.
//
// images imports chat/domain, chat/ports, bimg and the standard library; the
// application never sees libvips.
package images
