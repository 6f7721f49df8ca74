-- Drops what 000002 created. The blobs on disk are the operator's to remove.
DROP TABLE IF EXISTS attachments;
