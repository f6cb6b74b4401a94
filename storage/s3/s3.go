// Package s3 is a storage.Store on Amazon S3 or an S3-compatible server
// (tested against versitygw). It also implements storage.Redirector with
// presigned GET URLs.
//
// Object key = Config.Root + "/" + storage key (just the key when Root is
// empty). PutObject replaces objects atomically, so readers never see a
// partial object.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/storage"
)

// Store is a storage.Store on one S3 bucket.
type Store struct {
	bucket  string
	client  *awss3.Client
	presign *awss3.PresignClient
	// rootPrefix is Config.Root + "/", or "" without a root.
	rootPrefix string
}

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.Redirector = (*Store)(nil)
)

// New returns a Store for cfg. With cfg.CreateBucket it creates the bucket
// if it does not exist; otherwise it makes no request, so bad credentials or
// a missing bucket show up on first use.
func New(ctx context.Context, cfg Config) (*Store, error) {
	root, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" && cfg.Endpoint != "" {
		region = defaultRegion
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	opts = append(opts, config.WithLogger(sdkLogger(cfg.Logger)))
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("s3 config: no region: set Region or AWS_REGION")
	}
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.usePathStyle()
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &Store{
		bucket:  cfg.Bucket,
		client:  client,
		presign: awss3.NewPresignClient(client),
	}
	if root != "" {
		s.rootPrefix = root + "/"
	}
	if cfg.CreateBucket {
		if err := s.createBucket(ctx, awsCfg.Region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Delete removes the object; S3 treats a missing key as success.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("s3 delete %q: %w", key, err)
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.objectKey(key)),
	})
	if err = interpretError(err); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("s3 delete %q: %w", key, err)
	}
	return nil
}

// List pages through ListObjectsV2, which returns keys in byte order.
// Objects under Root whose names are not valid keys (written by other
// tools) are skipped.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.Info) error) error {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("s3 list %q: %w", prefix, err)
	}
	pager := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.rootPrefix + prefix),
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 list %q: %w", prefix, interpretError(err))
		}
		for _, obj := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(obj.Key), s.rootPrefix)
			if !ok || storage.ValidateKey(key) != nil {
				continue
			}
			info := storage.Info{
				Key:     key,
				ModTime: aws.ToTime(obj.LastModified),
				Size:    aws.ToInt64(obj.Size),
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open starts a GetObject; the body streams from the server until closed.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, storage.Info, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, storage.Info{}, fmt.Errorf("s3 open %q: %w", key, err)
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.objectKey(key)),
	})
	if err != nil {
		return nil, storage.Info{}, fmt.Errorf("s3 open %q: %w", key, interpretError(err))
	}
	info := storage.Info{
		Key:     key,
		ModTime: aws.ToTime(out.LastModified),
		Size:    aws.ToInt64(out.ContentLength),
	}
	return out.Body, info, nil
}

// RedirectURL returns a presigned GET URL for key, valid for ttl. It does
// not check that the object exists.
func (s *Store) RedirectURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", fmt.Errorf("s3 presign %q: %w", key, err)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("s3 presign %q: ttl %s is not positive", key, ttl)
	}
	req, err := s.presign.PresignGetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.objectKey(key)),
	}, awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign %q: %w", key, err)
	}
	return req.URL, nil
}

// Stat issues a HeadObject.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("s3 stat %q: %w", key, err)
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.objectKey(key)),
	})
	if err != nil {
		return storage.Info{}, fmt.Errorf("s3 stat %q: %w", key, interpretError(err))
	}
	return storage.Info{
		Key:     key,
		ModTime: aws.ToTime(out.LastModified),
		Size:    aws.ToInt64(out.ContentLength),
	}, nil
}

func (s *Store) createBucket(ctx context.Context, region string) error {
	in := &awss3.CreateBucketInput{Bucket: aws.String(s.bucket)}
	if region != defaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err := s.client.CreateBucket(ctx, in)
	if _, ok := errors.AsType[*types.BucketAlreadyOwnedByYou](err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("s3 create bucket %q: %w", s.bucket, interpretError(err))
	}
	return nil
}

func (s *Store) objectKey(key string) string {
	return s.rootPrefix + key
}

// interpretError adds storage sentinels to SDK errors, keeping the original
// (with its request ID and S3 error code) wrapped as well:
//
//   - NoSuchKey, NotFound or any 404 except NoSuchBucket → storage.ErrNotFound;
//   - 403 (bad signature, unknown access key, access denied) and
//     NoSuchBucket → storage.ErrPermanent, so storage.WithRetry gives up.
//
// HEAD responses carry no error body, so a HeadObject (Stat) in a missing
// bucket is indistinguishable from a missing key and gives ErrNotFound.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	code := ""
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		code = apiErr.ErrorCode()
	}
	status := 0
	if respErr, ok := errors.AsType[*awshttp.ResponseError](err); ok {
		status = respErr.HTTPStatusCode()
	}
	_, noSuchKey := errors.AsType[*types.NoSuchKey](err)
	_, notFound := errors.AsType[*types.NotFound](err)
	switch {
	case code == "NoSuchBucket":
		return fmt.Errorf("%w: %w", storage.ErrPermanent, err)
	case noSuchKey, notFound, status == http.StatusNotFound:
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	case status == http.StatusForbidden:
		return fmt.Errorf("%w: %w", storage.ErrPermanent, err)
	default:
		return err
	}
}
