// Package service names what a run's environment is made of, once for every package that spells
// it: the services an environment starts (postgres, redis, ollama), the backends that run them,
// the environment variables that carry a service to a system under test or choose its image, and
// the environment's description as a scenario file gives it, with the checks that go with it.
package service

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

// The services an environment can start.
const (
	Postgres = "postgres"
	Redis    = "redis"
	Ollama   = "ollama"
)

// Names lists the services in the order an environment starts them.
func Names() []string { return []string{Postgres, Redis, Ollama} }

// The backends.
const (
	// BackendAuto is docker when a Docker engine answers, else local.
	BackendAuto = "auto"
	// BackendLocal runs each server as a child process.
	BackendLocal = "local"
	// BackendDocker runs each server as a container, with testcontainers-go.
	BackendDocker = "docker"
	// BackendExternal uses services that already run (staging), given by address.
	BackendExternal = "external"
	// BackendKubernetes uses services that run in a Kubernetes cluster, given by address and
	// pod selector; faults are Chaos Mesh objects made through the cluster's API.
	BackendKubernetes = "kubernetes"
)

// SUT is the name a fault gives the system under test as its target (cpu, kill), and the key of
// its entry in a Kubernetes description.
const SUT = "sut"

// Backends lists the backends' names.
func Backends() []string {
	return []string{BackendAuto, BackendLocal, BackendDocker, BackendExternal, BackendKubernetes}
}

// URLVar names the variable that carries a service's proxied URL to a system under test:
// SHAKEDOWN_POSTGRES_DSN, SHAKEDOWN_REDIS_URL or SHAKEDOWN_OLLAMA_URL.
func URLVar(name string) string {
	if name == Postgres {
		return "SHAKEDOWN_POSTGRES_DSN"
	}
	return "SHAKEDOWN_" + strings.ToUpper(name) + "_URL"
}

// ImageVar names the variable that overrides a service's image on the docker backend:
// SHAKEDOWN_POSTGRES_IMAGE, SHAKEDOWN_REDIS_IMAGE or SHAKEDOWN_OLLAMA_IMAGE.
func ImageVar(name string) string { return "SHAKEDOWN_" + strings.ToUpper(name) + "_IMAGE" }

// DefaultImage is a service's image on the docker backend when neither the configuration nor
// ImageVar names one: the official images, and the mock Ollama's own (make images builds it).
func DefaultImage(name string) string {
	switch name {
	case Postgres:
		return "postgres:16-alpine"
	case Redis:
		return "redis:7-alpine"
	}
	return "shakedown/mock-ollama:dev"
}

// LocalImage is the image `make images` builds for a service without a registry, used when the
// default image is not on the machine: shakedown/postgres:15-local, shakedown/redis:7-local, and
// the mock's own.
func LocalImage(name string) string {
	switch name {
	case Postgres:
		return "shakedown/postgres:15-local"
	case Redis:
		return "shakedown/redis:7-local"
	}
	return "shakedown/mock-ollama:dev"
}

// Database names the database an environment's Postgres is made with. Empty fields:
// "shakedown".
type Database struct {
	User     string `yaml:"user,omitempty"`
	Password string `yaml:"password,omitempty"`
	Database string `yaml:"database,omitempty"`
}

// Parts lists the parts of a service that a scenario's placeholders name ({{postgres.host}} and
// so on): host, port, addr (host:port) and url of each (reached through its proxy), and for
// Postgres its user, password, database and dsn (the url).
func Parts(name string) []string {
	if name == Postgres {
		return []string{"host", "port", "addr", "url", "user", "password", "database", "dsn"}
	}
	return []string{"host", "port", "addr", "url"}
}

// Images names the docker backend's images. Empty: ImageVar's variable, else DefaultImage when it
// is on the machine, else LocalImage when that is.
type Images struct {
	Postgres string `yaml:"postgres,omitempty"`
	Redis    string `yaml:"redis,omitempty"`
	Ollama   string `yaml:"ollama,omitempty"`
}

// Of returns the image configured for the named service, or "".
func (i Images) Of(name string) string {
	switch name {
	case Postgres:
		return i.Postgres
	case Redis:
		return i.Redis
	}
	return i.Ollama
}

// External is the external backend's description: services that already run, and how faults
// reach them.
type External struct {
	// Toxiproxy is the HTTP API of a Toxiproxy server that the system under test already reaches
	// the services through (http://host:8474); faults go through its API. Empty: an embedded
	// Toxiproxy listens on each service's listen address.
	Toxiproxy string `yaml:"toxiproxy,omitempty"`
	// FaultLease is, when Toxiproxy is a Shakedown fault proxy, how long a fault set there
	// outlives a harness that stopped renewing it (killed, say); the harness renews every third
	// of it. 0: 30s.
	FaultLease units.Duration `yaml:"fault_lease,omitempty"`
	// Services are keyed by name: postgres, redis, ollama.
	Services map[string]ExternalService `yaml:"services"`
}

// ExternalService is one service that already runs.
type ExternalService struct {
	// Address is the service's own host:port (the proxy's upstream).
	Address string `yaml:"address"`
	// Proxy names its proxy on the Toxiproxy server. Empty: the service's name.
	Proxy string `yaml:"proxy,omitempty"`
	// Listen is where the embedded proxy listens, the address the SUT is configured with (when
	// there is no Toxiproxy server).
	Listen string `yaml:"listen,omitempty"`
	// URL reaches the service directly for the harness's checks (a Postgres DSN with its
	// credentials for the durability check). Empty: built from Address.
	URL string `yaml:"url,omitempty"`
}

// Kubernetes is the kubernetes backend's description: services that run in a cluster, reached by
// address for the harness's checks and selected by label for the faults, which are Chaos Mesh
// objects the harness creates and deletes through the cluster's API.
type Kubernetes struct {
	// Context is the kubeconfig context (KUBECONFIG, else ~/.kube/config; in a pod, the
	// in-cluster configuration). Empty: the current context. --kube-context overrides it.
	Context string `yaml:"context,omitempty"`
	// Approximate lets a fault that Chaos Mesh cannot express exactly run as its nearest form (a
	// per-connection or per-request probability as a share of the pods, a reset as packet loss);
	// each object and the report say what was approximated. false: such a fault is refused.
	Approximate bool `yaml:"approximate,omitempty"`
	// ProxyDown is what a proxy_down fault becomes: partition (a NetworkChaos cutting the
	// service's pods off) or pod-failure (a PodChaos that makes them unavailable). Empty:
	// partition.
	ProxyDown string `yaml:"proxy_down,omitempty"`
	// FaultProxy is Shakedown's fault proxy deployed beside the services (shakedown export proxy
	// writes it), which the system under test reaches them through: query, command and http
	// faults run there, exactly, as on the harness's machine; Chaos Mesh has no form for them.
	// nil: such faults are refused.
	FaultProxy *KubeFaultProxy `yaml:"fault_proxy,omitempty"`
	// Services are keyed by name: postgres, redis, ollama, and sut for faults on the system under
	// test (cpu, kill) and to aim network faults at its traffic alone.
	Services map[string]KubeService `yaml:"services"`
}

// KubeFaultProxy is a fault proxy in a cluster, as the harness reaches it.
type KubeFaultProxy struct {
	// API is its HTTP API's URL as the harness reaches it (its Service's DNS name, or a
	// port-forward): http://shakedown-proxy.staging.svc:8474. Each service's proxy there is named
	// after the service.
	API string `yaml:"api"`
	// Lease is how long a fault set there outlives a harness that stopped renewing it; the
	// harness renews every third of it. 0: 30s.
	Lease units.Duration `yaml:"lease,omitempty"`
}

// The forms of a proxy_down fault on the kubernetes backend.
const (
	ProxyDownPartition  = "partition"
	ProxyDownPodFailure = "pod-failure"
)

// KubeService is one service in a cluster.
type KubeService struct {
	// Address is the service's host:port as the harness reaches it (a Service's DNS name, or a
	// port-forward). The sut entry has none: the system under test is sut.url.
	Address string `yaml:"address,omitempty"`
	// URL reaches the service directly for the harness's checks (a Postgres DSN with its
	// credentials). Empty: built from Address.
	URL string `yaml:"url,omitempty"`
	// Namespace holds the service's pods and the run's Chaos Mesh objects for it.
	Namespace string `yaml:"namespace"`
	// Selector selects the service's pods by label (app.kubernetes.io/name: postgres).
	Selector map[string]string `yaml:"selector"`
	// Container names the container that kill and cpu faults act on. Empty: a kill is a pod-kill
	// and a cpu fault stresses every container of the pod.
	Container string `yaml:"container,omitempty"`
	// Port is the HTTP port HTTP faults act on, in the pod. 0: Address's port.
	Port int `yaml:"port,omitempty"`
}

// Problem is one failed check of an environment's description: the field, as a path relative to
// the description (services[1], external.services.redis.address), and what is wrong with it.
type Problem struct{ Field, Msg string }

func (p Problem) String() string { return p.Field + ": " + p.Msg }

// Check checks an environment's description: the services (empty: all three), the backend
// (empty: auto) and, for the external backend, the services' addresses. It returns every
// problem, in order.
func Check(services []string, backend string, ext *External, kube *Kubernetes) []Problem {
	var ps []Problem
	add := func(field, format string, a ...any) { ps = append(ps, Problem{field, fmt.Sprintf(format, a...)}) }
	for i, name := range services {
		if !slices.Contains(Names(), name) {
			add(fmt.Sprintf("services[%d]", i), "%q is not a service; want %s", name, orList(Names()))
		} else if slices.Index(services, name) != i {
			add(fmt.Sprintf("services[%d]", i), "%q appears twice", name)
		}
	}
	if len(services) == 0 {
		services = Names()
	}
	switch backend {
	case "", BackendAuto, BackendLocal, BackendDocker, BackendKubernetes:
		if ext != nil {
			add("external", "is for the external backend; set backend: external")
		}
	case BackendExternal:
		if ext == nil {
			add("external", "missing; the external backend needs the services' addresses")
			break
		}
		if ext.FaultLease != 0 && ext.FaultLease < units.Duration(time.Second) {
			add("external.fault_lease", "%s; want at least 1s (the harness renews it every third of it), or none for 30s", ext.FaultLease)
		}
		for _, name := range services {
			es, ok := ext.Services[name]
			switch {
			case !ok:
				add("external.services", "%s is a service of the environment and has no entry", name)
			case es.Address == "":
				add("external.services."+name+".address", "missing; want the service's host:port")
			case ext.Toxiproxy == "" && es.Listen == "":
				add("external.services."+name+".listen", "missing; without a toxiproxy server, the embedded proxy needs the address the SUT is configured with")
			}
		}
	default:
		add("backend", "%q; want %s", backend, orList(Backends()))
	}
	if backend == BackendKubernetes {
		ps = append(ps, checkKubernetes(services, kube)...)
	} else if kube != nil {
		ps = append(ps, Problem{"kubernetes", "is for the kubernetes backend; set backend: kubernetes"})
	}
	return ps
}

// checkKubernetes checks a kubernetes backend's description: every service has an entry with an
// address, a namespace and a selector.
func checkKubernetes(services []string, kube *Kubernetes) []Problem {
	var ps []Problem
	add := func(field, format string, a ...any) { ps = append(ps, Problem{field, fmt.Sprintf(format, a...)}) }
	if kube == nil {
		add("kubernetes", "missing; the kubernetes backend needs each service's address, namespace and pod selector")
		return ps
	}
	switch kube.ProxyDown {
	case "", ProxyDownPartition, ProxyDownPodFailure:
	default:
		add("kubernetes.proxy_down", "%q; want %s or %s", kube.ProxyDown, ProxyDownPartition, ProxyDownPodFailure)
	}
	if fp := kube.FaultProxy; fp != nil {
		if u, err := url.Parse(fp.API); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("kubernetes.fault_proxy.api", "%q; want the fault proxy's API as the harness reaches it, e.g. http://shakedown-proxy.staging.svc:8474", fp.API)
		}
		if fp.Lease != 0 && fp.Lease < units.Duration(time.Second) {
			add("kubernetes.fault_proxy.lease", "%s; want at least 1s (the harness renews it every third of it), or none for 30s", fp.Lease)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(kube.Services)) {
		if name != SUT && !slices.Contains(services, name) {
			add("kubernetes.services."+name, "is not a service of the environment; want %s, or %s", orList(services), SUT)
		}
	}
	for _, name := range append(slices.Clone(services), SUT) {
		ks, ok := kube.Services[name]
		field := "kubernetes.services." + name
		switch {
		case !ok && name == SUT:
			continue
		case !ok:
			add("kubernetes.services", "%s is a service of the environment and has no entry", name)
			continue
		case name != SUT && ks.Address == "":
			add(field+".address", "missing; want the service's host:port as the harness reaches it")
		case name == SUT && (ks.Address != "" || ks.URL != ""):
			add(field, "address and url are the other services'; the system under test is reached at sut.url")
		}
		if !dnsLabel.MatchString(ks.Namespace) {
			add(field+".namespace", "%q; want the namespace of its pods (a DNS label: lower-case letters, digits and '-')", ks.Namespace)
		}
		if len(ks.Selector) == 0 {
			add(field+".selector", "missing; want the labels that select its pods, e.g. {app.kubernetes.io/name: %s}", name)
		}
		if ks.Port < 0 || ks.Port > 65535 {
			add(field+".port", "%d; want a port, 1 to 65535 (0: the address's)", ks.Port)
		}
	}
	return ps
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
