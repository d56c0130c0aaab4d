package loader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Azure Network Watcher flow logs: NSG flow logs (versions 1 and 2) and
// VNet flow logs (version 4). A blob (PT1H.json) is {"records":[...]}; Event
// Hub and elastic exports write one record object per line; a JSON array of
// records is accepted too. Every flow tuple becomes at most one NetworkFlow
// record (Sumo maps "Azure NSG Flows" to NetworkFlow) timed at the tuple's
// own timestamp.
//
// Flow state (NSG v2, VNet v4): B (begin) is the start of a flow and is
// emitted; C (continuing) and E (end) are statistics updates of a flow that
// was already reported at its B tuple, so they are counted as skipped (a
// flow whose B tuple is in an earlier blob is not reported again). VNet
// state D (denied) is emitted with success false. NSG v1 tuples have no
// state and are all emitted.
//
// Both format names read both record shapes (the record says which it is);
// they differ only in detection.

func init() {
	Register(Format{
		Name:        "azure-nsg-flow",
		Description: "Azure NSG flow logs, versions 1 and 2 (records[].properties.flows[].flows[].flowTuples)",
		Example:     `{"time":"2024-03-05T10:01:00.0000000Z","category":"NetworkSecurityGroupFlowEvent","operationName":"NetworkSecurityGroupFlowEvents","properties":{"Version":2,"flows":[{"rule":"DefaultRule_AllowVnetInBound","flows":[{"mac":"000D3A1B2C3D","flowTuples":["1709632800,10.1.0.4,10.1.0.5,50112,445,T,I,A,B,,,,"]}]}]}}`,
		Sniff:       azureSniffNSG,
		Stream:      azureStream,
	})
	Register(Format{
		Name:        "azure-vnet-flow",
		Description: "Azure VNet flow logs, version 4 (records[].flowRecords.flows[].flowGroups[].flowTuples)",
		Example:     `{"time":"2024-03-05T10:01:00.0000000Z","flowLogVersion":4,"category":"FlowLogFlowEvent","operationName":"FlowLogFlowEvent","flowRecords":{"flows":[{"aclID":"0b4c9c2e-1111-2222-3333-444455556666","flowGroups":[{"rule":"DefaultRule_AllowVnetInBound","flowTuples":["1709632800123,10.1.0.4,10.1.0.5,50112,445,6,O,B,NX,0,0,0,0"]}]}]}}`,
		Sniff:       azureSniffVNet,
		Stream:      azureStream,
	})
}

func azureSniffVNet(head []byte) bool {
	return bytes.Contains(head, []byte(`"flowTuples"`)) &&
		(bytes.Contains(head, []byte(`"flowRecords"`)) || bytes.Contains(head, []byte(`"flowGroups"`)))
}

func azureSniffNSG(head []byte) bool {
	if !bytes.Contains(head, []byte(`"flowTuples"`)) || azureSniffVNet(head) {
		return false
	}
	return bytes.Contains(head, []byte("NetworkSecurityGroupFlowEvent")) ||
		(bytes.Contains(head, []byte(`"flows"`)) && bytes.Contains(head, []byte(`"rule"`)))
}

type azureRecord struct {
	Category   string `json:"category"`
	Properties *struct {
		Flows []struct {
			Rule  string `json:"rule"`
			Flows []struct {
				FlowTuples []string `json:"flowTuples"`
			} `json:"flows"`
		} `json:"flows"`
	} `json:"properties"`
	FlowRecords *struct {
		Flows []struct {
			FlowGroups []struct {
				Rule       string   `json:"rule"`
				FlowTuples []string `json:"flowTuples"`
			} `json:"flowGroups"`
		} `json:"flows"`
	} `json:"flowRecords"`
}

const (
	azureSkipContinuation = "azure-nsg-flow: flow tuple state C/E, continuation of a flow reported at its begin (B)"
	azureSkipVNetCont     = "azure-vnet-flow: flow tuple state C/E, continuation of a flow reported at its begin (B)"
)

func azureStream(ctx *ParseContext, r io.Reader, out Emitter) error {
	var rec Record
	return gcpJSONValues(r, out, "azure-flow", []string{"records"}, func(pos int64, raw []byte) {
		var ar azureRecord
		if err := json.Unmarshal(raw, &ar); err != nil {
			out.Quarantine(pos, raw, fmt.Sprintf("azure-flow: %v", err))
			return
		}
		emit := func(tuple string, vnet bool) {
			rec.Reset()
			var err error
			if vnet {
				err = azureParseVNetTuple(tuple, &rec)
			} else {
				err = azureParseNSGTuple(tuple, &rec)
			}
			var skip ErrSkip
			switch {
			case err == nil:
				if p, ok := out.(positioner); ok {
					p.SetPos(pos)
				}
				out.Emit(&rec)
			case errors.As(err, &skip):
				out.Skip(string(skip))
			default:
				out.Quarantine(pos, []byte(tuple), err.Error())
			}
		}
		n := 0
		if ar.Properties != nil {
			for _, f := range ar.Properties.Flows {
				for _, g := range f.Flows {
					for _, t := range g.FlowTuples {
						n++
						emit(t, false)
					}
				}
			}
		}
		if ar.FlowRecords != nil {
			for _, f := range ar.FlowRecords.Flows {
				for _, g := range f.FlowGroups {
					for _, t := range g.FlowTuples {
						n++
						emit(t, true)
					}
				}
			}
		}
		if n == 0 {
			if (ar.Properties != nil && len(ar.Properties.Flows) > 0) || ar.FlowRecords != nil || strings.Contains(ar.Category, "FlowEvent") {
				out.Skip("azure-flow: flow log record without flow tuples")
			} else {
				out.Skip("azure-flow: record that is not a flow log record")
			}
		}
	})
}

// azureFields splits a tuple at commas into at most len(dst) fields and
// returns how many there are (more than len(dst) reports len(dst)+1).
func azureFields(s string, dst []string) int {
	n := 0
	for {
		i := strings.IndexByte(s, ',')
		if n == len(dst) {
			return n + 1
		}
		if i < 0 {
			dst[n] = s
			return n + 1
		}
		dst[n] = s[:i]
		s = s[i+1:]
		n++
	}
}

// azureEndpoints fills time, addresses and ports from the fields common to
// both tuple shapes: epoch, src, dst, sport, dport.
func azureEndpoints(name string, f []string, rec *Record) error {
	t, ok := gcpEpoch([]byte(f[0]))
	if !ok {
		return fmt.Errorf("%s: bad tuple time %.24q", name, f[0])
	}
	rec.Time = t
	rec.SrcIP, rec.DstIP = strings.TrimSpace(f[1]), strings.TrimSpace(f[2])
	if rec.SrcIP == "" || rec.DstIP == "" {
		return fmt.Errorf("%s: tuple without source or destination address", name)
	}
	if kvPortless(rec.IPProtocol) {
		return nil
	}
	var ok1, ok2 bool
	if f[3] == "" {
		ok1 = true
	} else {
		rec.SrcPort, ok1 = kvPort([]byte(f[3]))
	}
	if f[4] == "" {
		ok2 = true
	} else {
		rec.DstPort, ok2 = kvPort([]byte(f[4]))
	}
	if !ok1 || !ok2 {
		return fmt.Errorf("%s: bad tuple port %.8q or %.8q", name, f[3], f[4])
	}
	return nil
}

// azureParseNSGTuple reads "epoch_s,src,dst,sport,dport,T|U,I|O,A|D" (v1)
// with ",B|C|E,pkts_s2d,bytes_s2d,pkts_d2s,bytes_d2s" appended (v2).
func azureParseNSGTuple(tuple string, rec *Record) error {
	var f [13]string
	n := azureFields(tuple, f[:])
	if n < 8 || n > 13 {
		return fmt.Errorf("azure-nsg-flow: flow tuple has %d fields, want 8 (v1) or 13 (v2)", n)
	}
	if n >= 9 {
		switch f[8] {
		case "B":
		case "C", "E":
			return ErrSkip(azureSkipContinuation)
		default:
			return fmt.Errorf("azure-nsg-flow: bad flow state %.8q", f[8])
		}
	}
	switch f[5] {
	case "T", "t":
		rec.IPProtocol = "tcp"
	case "U", "u":
		rec.IPProtocol = "udp"
	case "I", "i":
		rec.IPProtocol = "icmp"
	default:
		if f[5] == "" {
			return errors.New("azure-nsg-flow: tuple without protocol")
		}
		rec.IPProtocol = kvProto([]byte(f[5]))
	}
	switch f[7] {
	case "A":
		rec.Success = Bool(true)
	case "D":
		rec.Success = Bool(false)
	default:
		return fmt.Errorf("azure-nsg-flow: bad decision %.8q", f[7])
	}
	if err := azureEndpoints("azure-nsg-flow", f[:], rec); err != nil {
		return err
	}
	rec.ObjectType = ObjectNetworkFlow
	rec.Vendor, rec.Product = "Microsoft", "Azure NSG Flow Logs"
	rec.DeviceEventID = "NetworkSecurityGroupFlowEvent"
	return nil
}

// azureParseVNetTuple reads "epoch_ms,src,dst,sport,dport,proto_number,I|O,
// B|C|E|D,encryption,pkts_s2d,bytes_s2d,pkts_d2s,bytes_d2s".
func azureParseVNetTuple(tuple string, rec *Record) error {
	var f [13]string
	n := azureFields(tuple, f[:])
	if n < 8 || n > 13 {
		return fmt.Errorf("azure-vnet-flow: flow tuple has %d fields, want 13", n)
	}
	switch f[7] {
	case "B":
		rec.Success = Bool(true)
	case "D":
		rec.Success = Bool(false)
	case "C", "E":
		return ErrSkip(azureSkipVNetCont)
	default:
		return fmt.Errorf("azure-vnet-flow: bad flow state %.8q", f[7])
	}
	if f[5] == "" {
		return errors.New("azure-vnet-flow: tuple without protocol")
	}
	rec.IPProtocol = kvProto([]byte(f[5]))
	if err := azureEndpoints("azure-vnet-flow", f[:], rec); err != nil {
		return err
	}
	rec.ObjectType = ObjectNetworkFlow
	rec.Vendor, rec.Product = "Microsoft", "Azure VNet Flow Logs"
	rec.DeviceEventID = "FlowLogFlowEvent"
	return nil
}
