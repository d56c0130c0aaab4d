package sink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// independentSignature computes the header by hand, without Sign's code.
func independentSignature(secret []byte, unix int64, body []byte) string {
	msg := fmt.Sprintf("%d.%s", unix, body)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return fmt.Sprintf("t=%d,v1=%s", unix, hex.EncodeToString(m.Sum(nil)))
}

func TestSignMatchesIndependentComputation(t *testing.T) {
	secret := []byte("s3cr3t-shared-key")
	body := []byte(`{"signal_id":"abc","summary":"Internal port sweep from IP: 10.0.0.5"}`)
	at := time.Date(2025, 3, 1, 12, 0, 0, 999_000_000, time.UTC) // sub-second part is dropped
	got := Sign(secret, at, body)
	want := independentSignature(secret, at.Unix(), body)
	if got != want {
		t.Fatalf("Sign = %q\nwant  %q", got, want)
	}
	if !strings.HasPrefix(got, "t=1740830400,v1=") || len(got) != len("t=1740830400,v1=")+64 {
		t.Fatalf("unexpected header shape %q", got)
	}
	if err := VerifySignature(secret, got, body, at, time.Minute); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	// A header produced independently verifies too.
	if err := VerifySignature(secret, want, body, at.Add(30*time.Second), time.Minute); err != nil {
		t.Fatalf("VerifySignature(independent): %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("topsecret")
	body := []byte(`{"a":1}`)
	now := time.Unix(1_700_000_000, 0)
	good := Sign(secret, now, body)
	goodMAC := strings.TrimPrefix(good, fmt.Sprintf("t=%d,", now.Unix()))
	otherMAC := "v1=" + strings.Repeat("ab", 32)

	cases := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		window time.Duration
		want   error // nil: valid
	}{
		{"valid", secret, good, body, now, time.Minute, nil},
		{"valid at edge of window (past)", secret, good, body, now.Add(5 * time.Minute), 0, nil},
		{"valid at edge of window (future)", secret, good, body, now.Add(-5 * time.Minute), 0, nil},
		{"old timestamp (replay)", secret, good, body, now.Add(5*time.Minute + time.Second), 0, ErrSignatureExpired},
		{"future timestamp", secret, good, body, now.Add(-2 * time.Minute), time.Minute, ErrSignatureExpired},
		{"tampered body", secret, good, []byte(`{"a":2}`), now, time.Minute, ErrSignatureMismatch},
		{"body with trailing newline", secret, good, append(append([]byte{}, body...), '\n'), now, time.Minute, ErrSignatureMismatch},
		{"wrong secret", []byte("other"), good, body, now, time.Minute, ErrSignatureMismatch},
		{"empty secret", nil, good, body, now, time.Minute, ErrSignatureNoSecret},
		{"timestamp changed", secret, fmt.Sprintf("t=%d,%s", now.Unix()+1, goodMAC), body, now, time.Minute, ErrSignatureMismatch},
		{"spaces around elements", secret, fmt.Sprintf(" t=%d , %s ", now.Unix(), goodMAC), body, now, time.Minute, nil},
		{"elements reordered", secret, fmt.Sprintf("%s,t=%d", goodMAC, now.Unix()), body, now, time.Minute, nil},
		{"several v1, one good (rotation)", secret, fmt.Sprintf("t=%d,%s,%s", now.Unix(), otherMAC, goodMAC), body, now, time.Minute, nil},
		{"several v1, none good", secret, fmt.Sprintf("t=%d,%s,%s", now.Unix(), otherMAC, otherMAC), body, now, time.Minute, ErrSignatureMismatch},
		{"unknown key ignored", secret, good + ",v2=whatever", body, now, time.Minute, nil},
		{"upper-case hex", secret, fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.ToUpper(strings.TrimPrefix(goodMAC, "v1="))), body, now, time.Minute, nil},
		{"empty header", secret, "", body, now, time.Minute, ErrSignatureFormat},
		{"blank header", secret, "   ", body, now, time.Minute, ErrSignatureFormat},
		{"no t", secret, goodMAC, body, now, time.Minute, ErrSignatureFormat},
		{"no v1", secret, fmt.Sprintf("t=%d", now.Unix()), body, now, time.Minute, ErrSignatureFormat},
		{"empty t", secret, "t=," + goodMAC, body, now, time.Minute, ErrSignatureFormat},
		{"non-numeric t", secret, "t=abc," + goodMAC, body, now, time.Minute, ErrSignatureFormat},
		{"negative t", secret, "t=-5," + goodMAC, body, now, time.Minute, ErrSignatureFormat},
		{"signed t", secret, fmt.Sprintf("t=+%d,%s", now.Unix(), goodMAC), body, now, time.Minute, ErrSignatureFormat},
		{"huge t", secret, "t=99999999999999999999999," + goodMAC, body, now, time.Minute, ErrSignatureFormat},
		{"two t", secret, fmt.Sprintf("t=%d,t=%d,%s", now.Unix(), now.Unix(), goodMAC), body, now, time.Minute, ErrSignatureFormat},
		{"v1 not hex", secret, fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.Repeat("zz", 32)), body, now, time.Minute, ErrSignatureFormat},
		{"v1 too short", secret, fmt.Sprintf("t=%d,v1=abcd", now.Unix()), body, now, time.Minute, ErrSignatureFormat},
		{"v1 empty", secret, fmt.Sprintf("t=%d,v1=", now.Unix()), body, now, time.Minute, ErrSignatureFormat},
		{"element without =", secret, good + ",garbage", body, now, time.Minute, ErrSignatureFormat},
		{"semicolon separated", secret, strings.Replace(good, ",", ";", 1), body, now, time.Minute, ErrSignatureFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.secret, tc.header, tc.body, tc.now, tc.window)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func TestSignatureErrorsDoNotLeakSecret(t *testing.T) {
	secret := []byte("do-not-print-me")
	body := []byte("x")
	now := time.Unix(1_700_000_000, 0)
	for _, h := range []string{"", "t=1", Sign([]byte("other"), now, body), Sign(secret, now.Add(-time.Hour), body)} {
		err := VerifySignature(secret, h, body, now, time.Minute)
		if err == nil {
			t.Fatalf("header %q: want an error", h)
		}
		if strings.Contains(err.Error(), string(secret)) {
			t.Fatalf("error leaks the secret: %v", err)
		}
	}
}
