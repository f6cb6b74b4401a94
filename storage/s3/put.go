package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfhq/wharf/storage"
)

// Put uploads the object with a single PutObject; see putBody for how the
// reader is prepared.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("s3 put %q: %w", key, err)
	}
	body, cleanup, err := putBody(ctx, r, size)
	if err != nil {
		return fmt.Errorf("s3 put %q: %w", key, err)
	}
	defer cleanup()
	_, err = s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.objectKey(key)),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String("application/octet-stream"),
	})
	if err != nil {
		return fmt.Errorf("s3 put %q: %w", key, interpretError(err))
	}
	return nil
}

// memBodyLimit is the largest non-seekable body Put buffers in memory;
// larger ones are spooled to a temporary file.
const memBodyLimit = 16 << 20

// putBody turns r into a seekable body of exactly size bytes. The SDK needs
// to seek: over plain HTTP it hashes the payload for SigV4 before sending,
// and its own retries rewind the body.
//
//   - An io.ReadSeeker is used in place after checking that exactly size
//     bytes remain (no copy). Its Close, if any, is hidden from the SDK.
//   - Other readers are copied into memory (up to memBodyLimit) or a
//     temporary file, failing with storage.ErrSizeMismatch on a wrong size.
//
// cleanup releases the temporary file, if any.
func putBody(ctx context.Context, r io.Reader, size int64) (body io.ReadSeeker, cleanup func(), err error) {
	noop := func() {}
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			remaining, err := remainingBytes(rs, start)
			if err != nil {
				return nil, noop, fmt.Errorf("measure body: %w", err)
			}
			if remaining != size {
				return nil, noop, fmt.Errorf("%w: reader has %d bytes left, size is %d", storage.ErrSizeMismatch, remaining, size)
			}
			return struct{ io.ReadSeeker }{rs}, noop, nil
		}
		// Cannot seek after all (a pipe behind *os.File, say): copy it
		// like any other reader.
	}
	if size <= memBodyLimit {
		buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)))
		if err := storage.CopyExact(ctx, buf, r, size); err != nil {
			return nil, noop, err
		}
		return bytes.NewReader(buf.Bytes()), noop, nil
	}
	f, err := os.CreateTemp("", "wharf-s3-put-*")
	if err != nil {
		return nil, noop, fmt.Errorf("spool body: %w", err)
	}
	cleanup = func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	if err := storage.CopyExact(ctx, f, r, size); err != nil {
		cleanup()
		return nil, noop, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, noop, fmt.Errorf("spool body: %w", err)
	}
	return f, cleanup, nil
}

// remainingBytes returns how many bytes rs holds past offset start, its
// current offset, and seeks back there.
func remainingBytes(rs io.Seeker, start int64) (int64, error) {
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return 0, err
	}
	return end - start, nil
}
