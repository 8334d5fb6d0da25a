package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/scenarios/catalog"
	"github.com/shakedown-dev/shakedown/service"
)

func planOf(sc *scenarios.Scenario) ExportPlan {
	return ExportPlan{Scenario: sc.Name, Seed: sc.Seed, FaultStart: sc.Phases.Warmup.D(), FaultPhase: sc.Phases.Fault.D(), Faults: sc.Faults}
}

// documents splits a multi-document YAML stream, leaving out documents of comments alone.
func documents(b []byte) [][]byte {
	var out [][]byte
	for _, d := range bytes.Split(b, []byte("\n---\n")) {
		for _, line := range bytes.Split(d, []byte("\n")) {
			if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// decodeStrict decodes one manifest into its Chaos Mesh Go type, refusing any field the type
// does not have.
func decodeStrict(doc []byte) (client.Object, error) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var tm struct{ APIVersion, Kind string }
	if err := json.Unmarshal(j, &tm); err != nil {
		return nil, err
	}
	if tm.APIVersion != v1alpha1.SchemeGroupVersion.String() {
		return nil, fmt.Errorf("apiVersion %q", tm.APIVersion)
	}
	o, err := Scheme().New(v1alpha1.SchemeGroupVersion.WithKind(tm.Kind))
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.DisallowUnknownFields()
	if err := d.Decode(o); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return o.(client.Object), nil
}

// TestExportCatalog: every catalog scenario exports (testdata/export/NAME.yaml, -update to
// rewrite), in both forms, or is refused with the reason; every manifest decodes strictly into
// Chaos Mesh's Go types, passes its webhook's checks and, on the API server, its CRD's schema
// (a dry-run create: no Chaos Mesh controller runs here, nothing is injected).
func TestExportCatalog(t *testing.T) {
	c, _ := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "staging")
	kube := staging(ns, true)
	exported := 0
	for _, name := range catalog.Names() {
		sc, err := catalog.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		var out, wf bytes.Buffer
		golden := ""
		err = Export(&out, kube, planOf(sc), FormManifests, "")
		if err == nil {
			err = Export(&wf, kube, planOf(sc), FormWorkflow, "0 2 * * *")
		}
		if err != nil {
			var re *RefusedError
			if !errors.As(err, &re) && !strings.Contains(err.Error(), "Chaos Mesh cannot express") {
				t.Errorf("%s: %v; want a refusal that says why", name, err)
			}
			golden = "# refused:\n# " + strings.ReplaceAll(err.Error(), "\n", "\n# ") + "\n"
		} else {
			exported++
			golden = out.String() + "---\n# the nightly form: --form workflow --schedule '0 2 * * *'\n" + wf.String()
		}
		compareGolden(t, "testdata/export/"+name+".yaml", golden)
		docs := append(documents(out.Bytes()), documents(wf.Bytes())...)
		for i, doc := range docs {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s: document %d does not decode into Chaos Mesh's types: %v", name, i, err)
				continue
			}
			if err := admit(obj); err != nil {
				t.Errorf("%s: %s %s: Chaos Mesh's webhook refuses it: %v", name, obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Create(ctx, obj, client.DryRunAll); err != nil {
				t.Errorf("%s: %s %s: the API server refuses it: %v", name, obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
			}
			cancel()
		}
	}
	if exported < len(catalog.Names())/2 {
		t.Errorf("%d of %d catalog scenarios export; want most", exported, len(catalog.Names()))
	}
}

// TestSchemaRefuses: the CRD check above can fail: the API server refuses a manifest its schema
// does not allow.
func TestSchemaRefuses(t *testing.T) {
	c, _ := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "schema")
	ch, err := Translate(everyKind()[0], staging(ns, true))
	if err != nil {
		t.Fatal(err)
	}
	obj := ch.New(time.Second).(*v1alpha1.NetworkChaos)
	obj.Name, obj.Namespace = "bad", ns
	obj.Spec.Mode = "most"
	if err := c.Create(context.Background(), obj, client.DryRunAll); err == nil || !strings.Contains(err.Error(), `spec.mode: Unsupported value: "most"`) {
		t.Errorf("a mode of \"most\": %v; want the schema's refusal", err)
	}
}

// TestCatalogWithFaultProxy: with a fault proxy in the description, no catalog scenario is
// refused for its request faults: every one passes the backend's check (the request faults are
// the harness's, on the proxy; the rest Chaos Mesh objects, approximated where the description
// allows), and its export names the faults the proxy carries in a comment, with the objects of
// the others, which the API server accepts.
func TestCatalogWithFaultProxy(t *testing.T) {
	c, _ := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "proxied")
	kube := staging(ns, true)
	kube.FaultProxy = &service.KubeFaultProxy{API: "http://shakedown-proxy." + ns + ".svc:8474"}
	onProxy := 0
	for _, name := range catalog.Names() {
		sc, err := catalog.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := (Backend{}).Check(kube, sc.Faults); err != nil {
			t.Errorf("%s: %v; want it to run", name, err)
			continue
		}
		var out bytes.Buffer
		if err := Export(&out, kube, planOf(sc), FormManifests, ""); err != nil {
			t.Errorf("%s: export: %v", name, err)
			continue
		}
		for _, sp := range ProxyFaults(kube, sc.Faults) {
			onProxy++
			if want := fmt.Sprintf("# fault %q (%s) runs on the fault proxy at %s", sp.Base().Name, sp.Base().Type, kube.FaultProxy.API); !strings.Contains(out.String(), want) {
				t.Errorf("%s: the export does not say %q:\n%s", name, want, out.String())
			}
		}
		for i, doc := range documents(out.Bytes()) {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s: document %d: %v", name, i, err)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Create(ctx, obj, client.DryRunAll); err != nil {
				t.Errorf("%s: %s: the API server refuses it: %v", name, obj.GetName(), err)
			}
			cancel()
		}
	}
	if onProxy < 5 {
		t.Errorf("%d catalog faults on the fault proxy; want the query, command and http ones", onProxy)
	}
}
