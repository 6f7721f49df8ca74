// Package blob implements ports.BlobStore on the local disk (Disk) and on
// S3-compatible object stores (S3, through minio-go, which also implements
// ports.BlobLinker: presigned download links), and ports.URLSigner with
// HMAC-SHA256 (Signer).
//
// Disk writes every object through a temporary file that is synced and then
// renamed into place, so readers see a whole object or none, and a failed or
// over-size write leaves nothing behind. S3 gets the same from the store: an
// object that fits one part (5 MiB) is sent in one PUT once read whole, a
// larger one is a multipart upload that is completed only when every byte
// is in and within the limit, and aborted otherwise. Every wait on the store
// is bounded by S3Config.Timeout. Keys come from the application and are
// still validated here, by one rule for both stores: a key can never name a
// path outside the root.
//
// blob imports chat/domain, chat/ports, chat/adapters/wire (the one
// Content-Disposition a presigned download is answered with), minio-go and
// the standard library.
package blob
