// SPDX-License-Identifier: Apache-2.0

package netnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/witness"
)

// MetadataWitness is the metadata type of the trust anchor's entity
// configuration that names its witness (docs/witnessing.md §1).
const MetadataWitness = "omadata_witness"

// anchorLabel names the trust anchor as a witness where its configuration
// has no organization_name.
var anchorLabel = omadata.Text{
	"fi": "Verkoston luottamusankkuri",
	"sv": "Nätverkets förtroendeankare",
	"en": "The network's trust anchor",
}

// Witnesses returns the network's witnesses of this operator's log, in
// the order of docs/witnessing.md §3: each active member that publishes a
// witness, then the trust anchor's, as the witness log sync last knew
// them (kept in the store across restarts): an anchor or a member that
// cannot be reached stays in the list, asked and failing, until the
// anchor says it left.
func (n *Node) Witnesses(ctx context.Context) ([]omadata.WitnessRef, error) {
	return n.WitnessLogs.Witnesses(ctx)
}

// anchorWitness is the trust anchor's witness for the witness log sync:
// an error when its configuration cannot be read or its witness is
// refused (the sync keeps the last known), nil when it names none.
func (n *Node) anchorWitness(ctx context.Context) (*omadata.WitnessRef, error) {
	st, err := n.gate.anchor(ctx)
	if err != nil {
		return nil, fmt.Errorf("its configuration: %w", err)
	}
	w, err := AnchorWitness(st)
	if err != nil {
		n.o.Logger.WarnContext(ctx, "witness: the trust anchor's witness is refused", "error", err)
		return nil, err
	}
	return w, nil
}

// AnchorWitness reads the trust anchor's witness from its verified entity
// configuration: metadata.omadata_witness {witness_endpoint,
// witness_verifier_key}, the endpoint on the anchor's origin and the key a
// cosignature/v1 verifier key named omadata.WitnessName(anchor ID). nil
// when it names none.
func AnchorWitness(st *federation.Statement) (*omadata.WitnessRef, error) {
	raw, ok := st.Metadata[MetadataWitness]
	if !ok {
		return nil, nil
	}
	var md struct {
		Endpoint    string `json:"witness_endpoint"`
		VerifierKey string `json:"witness_verifier_key"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, omadata.Invalidf(MetadataWitness, "Not an object of witness_endpoint and witness_verifier_key.")
	}
	anchor, err := url.Parse(st.Subject)
	if err != nil || anchor.Host == "" {
		return nil, errors.New("the anchor's entity identifier is not a URL")
	}
	if p, err := url.Parse(md.Endpoint); err != nil || p.Scheme != anchor.Scheme || p.Host != anchor.Host || p.User != nil || p.Fragment != "" || p.RawQuery != "" {
		return nil, omadata.Invalidf(MetadataWitness+".witness_endpoint", "The URL must be on the origin of the anchor %s.", anchor.Scheme+"://"+anchor.Host)
	}
	v, err := witness.NewCosignatureVerifier(md.VerifierKey)
	if err != nil {
		return nil, omadata.Invalidf(MetadataWitness+".witness_verifier_key", "Not a cosignature/v1 verifier key.")
	} else if want := omadata.WitnessName(st.Subject); v.Name() != want {
		// The name is bound to the anchor's ID, as a member's to its own
		// (docs/witnessing.md §1): no witness can pass for the anchor.
		return nil, omadata.Invalidf(MetadataWitness+".witness_verifier_key", "The key's name %q is not the anchor's witness name %q.", omadata.Truncate(v.Name(), 100), want)
	}
	label := anchorLabel
	var fe struct {
		Name string `json:"organization_name"`
	}
	if json.Unmarshal(st.Metadata[federation.MetadataFederation], &fe) == nil && fe.Name != "" {
		label = omadata.Text{"fi": fe.Name, "sv": fe.Name, "en": fe.Name}
	}
	return &omadata.WitnessRef{Name: v.Name(), VerifierKey: md.VerifierKey, URL: md.Endpoint, Label: label}, nil
}
