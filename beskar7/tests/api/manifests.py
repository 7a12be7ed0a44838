"""Realistic manifests for the API tests, as a user or a controller would write them."""

from typing import Any

from ruamel.yaml import YAML

from beskar7.api.kinds import Obj


def load(text: str) -> Obj:
    data: Any = YAML(typ="safe").load(text)
    assert isinstance(data, dict)
    return data


PHYSICAL_HOST = """
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: PhysicalHost
metadata:
  name: server-07
  namespace: metal
  uid: 5b1f0c3e-2f7e-4d7c-9b0e-6a1b2c3d4e5f
  resourceVersion: "4182"
  generation: 3
  creationTimestamp: "2025-11-27T09:12:44Z"
  labels:
    topology.kubernetes.io/zone: rack-b
  finalizers:
  - physicalhost.infrastructure.cluster.x-k8s.io
spec:
  redfishConnection:
    address: https://10.20.0.17/redfish/v1/Systems/System.Embedded.1
    credentialsSecretRef: server-07-bmc
    insecureSkipVerify: true
  consumerRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: Beskar7Machine
    name: workers-7d9f-x2k4
    namespace: metal
    uid: 0f9e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b
status:
  ready: true
  state: Inspecting
  observedPowerState: "On"
  hardwareDetails:
    manufacturer: Dell Inc.
    model: PowerEdge R650
    serialNumber: 7XK2M93
    status:
      health: OK
      healthRollup: OK
      state: Enabled
  addresses:
  - type: InternalIP
    address: 10.20.1.17
  inspectionPhase: Complete
  inspectionTimestamp: "2025-11-27T10:00:00Z"
  inspectionReport:
    timestamp: "2025-11-27T10:03:12Z"
    manufacturer: Dell Inc.
    model: PowerEdge R650
    serialNumber: 7XK2M93
    bootModeDetected: UEFI
    firmwareVersion: 1.13.2
    cpus:
    - {id: CPU0, vendor: GenuineIntel, model: Xeon 6338, cores: 32, threads: 64, frequency: 2GHz}
    - {id: CPU1, vendor: GenuineIntel, model: Xeon 6338, cores: 32, threads: 64, frequency: 2GHz}
    memory:
    - {id: DIMM0, type: DDR4, capacity: 32GiB, speed: 3200MHz}
    - {id: DIMM1, type: DDR4, capacity: 32GiB, speed: 3200MHz}
    disks:
    - {name: nvme0n1, model: Samsung PM9A3, sizeGB: 960, type: NVMe, serialNumber: S64GNA0R1}
    nics:
    - name: eno1
      macAddress: "b0:7b:25:aa:10:01"
      driver: ice
      speed: 25Gbps
      ipAddresses: [10.20.1.17/24]
  conditions:
  - type: HostInspected
    status: "True"
    lastTransitionTime: "2025-11-27T10:03:12Z"
  - type: RedfishConnectionReady
    status: "True"
    lastTransitionTime: "2025-11-27T09:13:01Z"
"""

MACHINE = """
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: Beskar7Machine
metadata:
  name: workers-7d9f-x2k4
  namespace: metal
  labels:
    cluster.x-k8s.io/cluster-name: prod
    cluster.x-k8s.io/machine-name: workers-7d9f-abcde
  ownerReferences:
  - apiVersion: cluster.x-k8s.io/v1beta1
    kind: Machine
    name: workers-7d9f-abcde
    uid: 11111111-2222-3333-4444-555555555555
    controller: true
    blockOwnerDeletion: true
spec:
  providerID: b7://metal/server-07
  inspectionImage: https://boot.metal.internal/inspector/v0.4.0/
  targetOSImage: https://boot.metal.internal/images/kairos-v3.1.1.raw
  osFamily: kairos
  hardwareRequirements:
    minCPUCores: 16
    minMemoryGB: 64
status:
  ready: true
  phase: Provisioned
  addresses:
  - {type: InternalIP, address: 10.20.1.17}
  - {type: Hostname, address: server-07}
  initialization:
    provisioned: true
  conditions:
  - type: Ready
    status: "True"
    lastTransitionTime: "2025-11-27T10:20:00Z"
  - type: InfrastructureReady
    status: "True"
    lastTransitionTime: "2025-11-27T10:20:00Z"
"""

UPSTREAM_MACHINE = """
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: Beskar7Machine
metadata:
  name: cp-0
  namespace: metal
spec:
  inspectionImageURL: http://boot.metal.internal/inspector/
  targetImageURL: http://boot.metal.internal/images/kairos.tar.gz
  configurationURL: http://boot.metal.internal/configs/cp.yaml
"""

TEMPLATE = """
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: Beskar7MachineTemplate
metadata:
  name: workers
  namespace: metal
spec:
  template:
    metadata:
      labels:
        pool: workers
    spec:
      inspectionImageURL: http://boot.metal.internal/inspector/
      targetOSImage: http://boot.metal.internal/images/talos-1.8.raw
      osFamily: talos
"""

CLUSTER = """
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: Beskar7Cluster
metadata:
  name: prod
  namespace: metal
  labels:
    cluster.x-k8s.io/cluster-name: prod
spec:
  controlPlaneEndpoint:
    host: 10.20.1.100
    port: 6443
status:
  ready: true
  controlPlaneEndpoint: {host: 10.20.1.100, port: 6443}
  failureDomains:
  - {name: rack-a, controlPlane: true}
  - {name: rack-b, controlPlane: true, attributes: {row: "3"}}
  initialization: {provisioned: true}
"""

SECRET = """
apiVersion: v1
kind: Secret
metadata:
  name: server-07-bmc
  namespace: metal
type: Opaque
stringData:
  username: root
  password: calvin-Sup3rSecret
"""
