// Package imagestest makes real images for tests: PNG, JPEG (optionally
// with an EXIF orientation), WebP, GIF, and hostile inputs (a pixel bomb,
// truncated files). It is for tests only.
//
// imagestest imports the standard library and bimg (to encode WebP).
package imagestest
