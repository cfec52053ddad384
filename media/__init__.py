"""Product media: images and gallery order (media.images), and where the bytes live
(media.storage: local disk or an S3-compatible bucket, chosen by settings)."""
