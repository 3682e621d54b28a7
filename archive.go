// SPDX-License-Identifier: Apache-2.0

package omadata

import "context"

// ArchiveService makes the archive a resident takes with them (GDPR Art
// 20): the operator's records about them and every source's data, as a ZIP
// with a manifest of every part and its hash, signed with the operator's
// receipt key (docs/archive.md).
type ArchiveService interface {
	// ResidentArchive returns the archive of residentID (the caller, or a
	// principal they represent, within the authority), recording no
	// request. ENOTFOUND for a resident the caller may not see.
	ResidentArchive(ctx context.Context, residentID string) ([]byte, error)
	// RequestArchive answers an access request with the archive and
	// records the request completed, as RequestService.ExportResident does.
	RequestArchive(ctx context.Context, requestID string) ([]byte, error)
}

// ArchiveMediaType is the media type of an archive.
const ArchiveMediaType = "application/zip"
