package kube

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shakedown-dev/shakedown/service"
)

// ProxyOptions are what `shakedown export proxy` writes the fault proxy's objects with.
type ProxyOptions struct {
	// Name names every object. Empty: shakedown-proxy.
	Name string
	// Namespace is where the proxy runs. Empty: the system under test's namespace in the
	// description, else the first service's.
	Namespace string
	// Image is the proxy's image, as the team's registry holds it (images/shakedown-proxy/
	// Dockerfile.release builds it).
	Image string
}

// ProxyAPIPort is the fault proxy's API port in its pod and Service (Toxiproxy's).
const ProxyAPIPort = 8474

// ExportProxy writes, as YAML documents on w, what runs the fault proxy (cmd/shakedown-proxy)
// beside the services of a Kubernetes description: a ConfigMap with its proxies (one per
// Postgres, Redis and Ollama service, named after it, listening on the service's own port, in
// front of its address), a
// ServiceAccount that mounts no token (the proxy calls no Kubernetes API: it needs no RBAC), a
// Deployment of one replica, and a Service with the API's port and each proxy's. The system
// under test then reaches the services at the Service's name, on their usual ports, and the
// description names the proxy's API in kubernetes.fault_proxy.
func ExportProxy(w io.Writer, kube *service.Kubernetes, opt ProxyOptions) error {
	objs, err := proxyObjects(kube, opt)
	if err != nil {
		return err
	}
	return writeObjects(w, objs)
}

// proxyConfig is one proxy of the fault proxy's configuration (Toxiproxy's format).
type proxyConfig struct {
	Name     string `json:"name"`
	Listen   string `json:"listen"`
	Upstream string `json:"upstream"`
	Enabled  bool   `json:"enabled"`
}

func proxyObjects(kube *service.Kubernetes, opt ProxyOptions) ([]client.Object, error) {
	if opt.Image == "" {
		return nil, fmt.Errorf("no image: build images/shakedown-proxy/Dockerfile.release into your registry and name it (--image)")
	}
	if opt.Name == "" {
		opt.Name = "shakedown-proxy"
	}
	if opt.Namespace == "" {
		opt.Namespace = kube.Services[service.SUT].Namespace
	}
	var cfg []proxyConfig
	ports := []corev1.ServicePort{{Name: "api", Port: ProxyAPIPort, TargetPort: intstr.FromInt(ProxyAPIPort)}}
	cports := []corev1.ContainerPort{{Name: "api", ContainerPort: ProxyAPIPort}}
	for _, name := range []string{service.Postgres, service.Redis, service.Ollama} {
		ks, ok := kube.Services[name]
		if !ok {
			continue
		}
		if opt.Namespace == "" {
			opt.Namespace = ks.Namespace
		}
		_, p, err := net.SplitHostPort(ks.Address)
		port, perr := strconv.Atoi(p)
		if err != nil || perr != nil {
			return nil, fmt.Errorf("kubernetes.services.%s.address: %q; want host:port", name, ks.Address)
		}
		cfg = append(cfg, proxyConfig{Name: name, Listen: net.JoinHostPort("0.0.0.0", p), Upstream: ks.Address, Enabled: true})
		ports = append(ports, corev1.ServicePort{Name: name, Port: int32(port), TargetPort: intstr.FromInt(port)})
		cports = append(cports, corev1.ContainerPort{Name: name, ContainerPort: int32(port)})
	}
	if len(cfg) == 0 {
		return nil, fmt.Errorf("the description has no postgres, redis or ollama service: the fault proxy carries their query, command and http faults")
	}
	if opt.Namespace == "" {
		return nil, fmt.Errorf("no namespace: give one (--namespace)")
	}
	config, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	labels := map[string]string{"app.kubernetes.io/name": opt.Name, LabelManagedBy: ManagedBy}
	meta := metav1.ObjectMeta{Name: opt.Name, Namespace: opt.Namespace, Labels: labels}
	no, one, nonRoot := false, int32(1), true
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta,
		Data: map[string]string{"proxies.json": string(config) + "\n"}}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta, AutomountServiceAccountToken: &no}
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/shakedown", Port: intstr.FromString("api")}}, PeriodSeconds: 5}
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &one, // one: the faults and their decision log live in the process
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": opt.Name}},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:           opt.Name,
					AutomountServiceAccountToken: &no,
					SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &nonRoot},
					Containers: []corev1.Container{{
						Name: "proxy", Image: opt.Image,
						Args:           []string{"--config", "/etc/shakedown-proxy/proxies.json"},
						Ports:          cports,
						ReadinessProbe: probe,
						LivenessProbe:  probe,
						VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/shakedown-proxy", ReadOnly: true}},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &nonRoot,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
					Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: opt.Name}}}}},
				},
			},
		}}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta,
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": opt.Name}, Ports: slices.Clone(ports)}}
	return []client.Object{cm, sa, dep, svc}, nil
}
