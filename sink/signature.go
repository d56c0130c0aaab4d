package sink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header that carries the webhook signature.
const SignatureHeader = "X-Portsweep-Signature"

// DefaultSignatureWindow is the replay window VerifySignature uses when it is
// given a window ≤ 0: a signature whose timestamp is more than this far from
// the receiver's clock (either way) is rejected.
const DefaultSignatureWindow = 5 * time.Minute

// Errors returned by VerifySignature; test with errors.Is.
var (
	// ErrSignatureFormat: the header is missing, malformed, or has no usable v1.
	ErrSignatureFormat = errors.New("webhook signature: malformed header")
	// ErrSignatureMismatch: no v1 value matches the HMAC of the body.
	ErrSignatureMismatch = errors.New("webhook signature: mismatch")
	// ErrSignatureExpired: the signed timestamp is outside the replay window.
	ErrSignatureExpired = errors.New("webhook signature: timestamp outside the allowed window")
	// ErrSignatureNoSecret: VerifySignature was called with an empty secret.
	ErrSignatureNoSecret = errors.New("webhook signature: empty secret")
)

// Sign returns the value of the SignatureHeader for body sent at t:
//
//	t=<unix seconds>,v1=<lower-case hex of HMAC-SHA256(secret, "<unix seconds>.<body>")>
//
// The timestamp is part of the signed message, so a receiver that checks it
// against its own clock rejects replays of old requests.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signatureMAC(secret, ts, body))
}

func signatureMAC(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a SignatureHeader value against body, as a receiver
// does. The header is a comma-separated list of key=value pairs (spaces around
// them are ignored); it must hold exactly one t (decimal unix seconds) and at
// least one v1 (64 hex digits). Several v1 values are allowed (a sender
// rotating secrets) and one matching is enough; unknown keys are ignored so
// that later schemes (v2, …) can be added alongside. The MAC comparison is
// constant-time (hmac.Equal). The timestamp must be within ±window of now;
// window ≤ 0 means DefaultSignatureWindow.
//
// The error wraps ErrSignatureFormat, ErrSignatureMismatch,
// ErrSignatureExpired or ErrSignatureNoSecret.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, window time.Duration) error {
	if len(secret) == 0 {
		return ErrSignatureNoSecret
	}
	if window <= 0 {
		window = DefaultSignatureWindow
	}
	ts, macs, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	want := signatureMAC(secret, ts, body)
	ok := false
	for _, m := range macs {
		if hmac.Equal(m, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // validated by parseSignatureHeader
	signed := time.Unix(sec, 0)
	if d := now.Sub(signed); d > window || d < -window {
		return fmt.Errorf("%w: signed at %s, now %s, window %s", ErrSignatureExpired,
			signed.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), window)
	}
	return nil
}

// parseSignatureHeader returns the timestamp exactly as sent (it is part of
// the signed message) and the decoded v1 MACs.
func parseSignatureHeader(header string) (string, [][]byte, error) {
	var ts string
	var seenT bool
	var macs [][]byte
	if strings.TrimSpace(header) == "" {
		return "", nil, fmt.Errorf("%w: empty", ErrSignatureFormat)
	}
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: element %q is not key=value", ErrSignatureFormat, part)
		}
		switch k {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: more than one t", ErrSignatureFormat)
			}
			seenT = true
			if v == "" || len(v) > 18 || strings.TrimLeft(v, "0123456789") != "" {
				return "", nil, fmt.Errorf("%w: t must be decimal unix seconds", ErrSignatureFormat)
			}
			ts = v
		case "v1":
			m, err := hex.DecodeString(v)
			if err != nil || len(m) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 must be %d hex digits", ErrSignatureFormat, 2*sha256.Size)
			}
			macs = append(macs, m)
		}
	}
	if !seenT {
		return "", nil, fmt.Errorf("%w: no t", ErrSignatureFormat)
	}
	if len(macs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1", ErrSignatureFormat)
	}
	return ts, macs, nil
}
