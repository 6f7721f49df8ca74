// Package blob implements ports.BlobStore on the local disk (Disk) and
// ports.URLSigner with HMAC-SHA256 (Signer).
//
// Disk writes every object through a temporary file that is synced and then
// renamed into place, so readers see a whole object or none, and a failed or
// over-size write leaves nothing behind. Keys come from the application and
// are still validated here: a key can never name a path outside the root.
//
// blob imports chat/domain, chat/ports and the standard library only.
package blob
