package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/service"
)

// TestExportProxy: the fault proxy's objects for a staging description (testdata/export/
// proxy.yaml, -update to rewrite) decode strictly into Kubernetes's Go types, the real API server
// accepts each (a dry-run create), the ConfigMap's proxies are the description's Postgres and
// Redis in front of their addresses on their own ports, and the Service exposes those ports
// and the API's.
func TestExportProxy(t *testing.T) {
	c, _ := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "staging")
	var out bytes.Buffer
	if err := ExportProxy(&out, staging(ns, false), ProxyOptions{Image: "registry.example.com/shakedown-proxy:v1"}); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "testdata/export/proxy.yaml", strings.ReplaceAll(out.String(), ns, "NAMESPACE"))
	var kinds []string
	for i, doc := range documents(out.Bytes()) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		var tm struct{ Kind string }
		json.Unmarshal(j, &tm)
		var obj client.Object
		switch tm.Kind {
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		default:
			t.Fatalf("document %d: kind %q", i, tm.Kind)
		}
		d := json.NewDecoder(bytes.NewReader(j))
		d.DisallowUnknownFields()
		if err := d.Decode(obj); err != nil {
			t.Fatalf("%s does not decode strictly: %v", tm.Kind, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Create(ctx, obj, client.DryRunAll); err != nil {
			t.Errorf("%s %s: the API server refuses it: %v", tm.Kind, obj.GetName(), err)
		}
		cancel()
		kinds = append(kinds, tm.Kind)
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			want := fmt.Sprintf(`"upstream": "postgres.%s.svc:5432"`, ns)
			if cfg := o.Data["proxies.json"]; !strings.Contains(cfg, `"listen": "0.0.0.0:5432"`) || !strings.Contains(cfg, want) || !strings.Contains(cfg, `"listen": "0.0.0.0:6379"`) || !strings.Contains(cfg, `"listen": "0.0.0.0:11434"`) {
				t.Errorf("proxies.json:\n%s\nwant postgres, redis and ollama on their ports in front of their addresses", cfg)
			}
		case *corev1.Service:
			var ports []int32
			for _, p := range o.Spec.Ports {
				ports = append(ports, p.Port)
			}
			if fmt.Sprint(ports) != "[8474 5432 6379 11434]" {
				t.Errorf("Service ports %v; want the API's and each proxy's: [8474 5432 6379 11434]", ports)
			}
		}
	}
	if strings.Join(kinds, ",") != "ConfigMap,ServiceAccount,Deployment,Service" {
		t.Errorf("kinds %v", kinds)
	}
	for _, bad := range []struct {
		opt  ProxyOptions
		desc *service.Kubernetes
		want string
	}{
		{ProxyOptions{}, staging(ns, false), "no image"},
		{ProxyOptions{Image: "x"}, &service.Kubernetes{Services: map[string]service.KubeService{service.SUT: {Namespace: ns}}}, "no postgres, redis or ollama"},
		{ProxyOptions{Image: "x"}, &service.Kubernetes{Services: map[string]service.KubeService{service.Redis: {Address: "redis", Namespace: ns}}}, `kubernetes.services.redis.address: "redis"; want host:port`},
	} {
		if err := ExportProxy(&bytes.Buffer{}, bad.desc, bad.opt); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ExportProxy(%+v) = %v; want %q", bad.opt, err, bad.want)
		}
	}
}
