// SPDX-License-Identifier: Apache-2.0

package httpsig

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoSignature is returned by Parse when Signature-Input or Signature has
// no member of the label.
var ErrNoSignature = errors.New("no signature of this label")

// Signature is one signature of a message: its label, its input and the
// signature bytes (RFC 9421 §4.1, §4.2).
type Signature struct {
	Label string
	Input Input
	Value []byte
}

// fieldValue joins a field's lines with ", " (RFC 9110 §5.3), the value
// RFC 8941 parses.
func fieldValue(h http.Header, name string) (string, bool) {
	vs, ok := h[http.CanonicalHeaderKey(name)]
	return strings.Join(vs, ", "), ok && len(vs) > 0
}

// Parse returns the signature label of h's Signature-Input and Signature
// fields. A missing field or member is ErrNoSignature; fields that do not
// parse, or a member of the wrong type, wrap ErrMalformed.
func Parse(h http.Header, label string) (*Signature, error) {
	inField, ok1 := fieldValue(h, "Signature-Input")
	sigField, ok2 := fieldValue(h, "Signature")
	if !ok1 || !ok2 {
		return nil, ErrNoSignature
	}
	inputs, err := ParseDictionary(inField)
	if err != nil {
		return nil, fmt.Errorf("%w: Signature-Input: %w", ErrMalformed, err)
	}
	sigs, err := ParseDictionary(sigField)
	if err != nil {
		return nil, fmt.Errorf("%w: Signature: %w", ErrMalformed, err)
	}
	in, sig := inputs.Get(label), sigs.Get(label)
	if in == nil || sig == nil {
		return nil, ErrNoSignature
	}
	input, err := inputFromInnerList(in)
	if err != nil {
		return nil, err
	}
	it, ok := sig.(Item)
	value, isBytes := it.Value.([]byte)
	if !ok || !isBytes || len(it.Params) > 0 {
		return nil, fmt.Errorf("%w: a Signature member is a byte sequence", ErrMalformed)
	}
	return &Signature{Label: label, Input: input, Value: value}, nil
}

// Verify checks the signature over m with alg and key (RFC 9421 §3.2 steps
// 6 to 8); the policy checks of the parameters are the caller's.
func (s *Signature) Verify(m *Message, alg string, key any) error {
	base, err := Base(m, s.Input)
	if err != nil {
		return err
	}
	return VerifyBase(alg, key, base, s.Value)
}

// Sign signs m with in, alg and key and adds the signature as label to
// its Signature-Input and Signature fields (RFC 9421 §3.1, §4), keeping
// other labels' members.
func Sign(m *Message, label string, in Input, alg string, key any) error {
	base, err := Base(m, in)
	if err != nil {
		return err
	}
	sig, err := SignBase(alg, key, base)
	if err != nil {
		return err
	}
	if err := addMember(m.Header, "Signature-Input", label, in.InnerList()); err != nil {
		return err
	}
	return addMember(m.Header, "Signature", label, Item{Value: sig})
}

// addMember sets the member label of the Dictionary field name.
func addMember(h http.Header, name, label string, v Member) error {
	var d Dictionary
	if old, ok := fieldValue(h, name); ok {
		var err error
		if d, err = ParseDictionary(old); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
		}
	}
	s, err := SerializeDictionary(d.Set(label, v))
	if err != nil {
		return err
	}
	h.Set(name, s)
	return nil
}
