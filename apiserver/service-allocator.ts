// ClusterIP and NodePort allocation for Services, the apiserver's job in Kubernetes.
// Each allocated address or port is a key in storage (/registry/ranges/serviceips/<ip>,
// /registry/ranges/servicenodeports/<port>) created if absent, so two servers on one etcd
// never hand out the same one; the key is deleted when the Service is gone.
import { KeyExistsError, type Storage } from './storage/index.js';
import type { KubeObject } from './resources.js';
import { ApiError, type StatusCause } from './status.js';

export interface ServiceRanges {
  /** IPv4 CIDR ClusterIPs come from. Default 10.43.0.0/16 (the first address is the `kubernetes` Service's). */
  serviceCidr: string;
  /** Inclusive NodePort range. Default 30000-32767, as kube. */
  nodePorts: [number, number];
}

export const DEFAULT_SERVICE_RANGES: ServiceRanges = { serviceCidr: '10.43.0.0/16', nodePorts: [30000, 32767] };

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: Array<{ nodePort?: number; [k: string]: unknown }>;
}

const IP_PREFIX = '/registry/ranges/serviceips/';
const PORT_PREFIX = '/registry/ranges/servicenodeports/';

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function invalid(name: string, causes: StatusCause[]): ApiError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(422, 'Invalid', `Service "${name}" is invalid: ${text}`, { name, kind: 'Service', causes });
}

/** Hands out ClusterIPs and NodePorts for Services and takes them back. */
export class ServiceAllocator {
  private readonly base: number;
  private readonly size: number;

  constructor(private readonly storage: Storage, private readonly ranges: ServiceRanges = DEFAULT_SERVICE_RANGES) {
    const [addr, bits] = ranges.serviceCidr.split('/');
    const prefix = Number(bits);
    this.size = 2 ** (32 - prefix);
    this.base = ipToInt(addr!) - (ipToInt(addr!) % this.size);
  }

  /** The first usable address, reserved for the `kubernetes` Service. */
  firstIp(): string {
    return intToIp(this.base + 1);
  }

  private inRange(ip: string): boolean {
    const n = ipToInt(ip);
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && n > this.base && n < this.base + this.size - 1;
  }

  private async claim(key: string, owner: string): Promise<boolean> {
    try {
      await this.storage.create(key, Buffer.from(owner));
      return true;
    } catch (err) {
      if (err instanceof KeyExistsError) return false;
      throw err;
    }
  }

  /**
   * Fills in spec.clusterIP(s), ipFamilies, ipFamilyPolicy and missing nodePorts of a new
   * Service, reserving them; returns a function that gives them back (for a failed create).
   */
  async allocate(svc: KubeObject, old?: KubeObject): Promise<() => Promise<void>> {
    const spec = (svc.spec ??= {}) as ServiceSpec;
    const oldSpec = (old?.spec ?? {}) as ServiceSpec;
    const name = svc.metadata?.name ?? '';
    const owner = `${svc.metadata?.namespace}/${name}`;
    const claimed: string[] = [];
    const undo = async () => { for (const k of claimed) await this.storage.get(k).then((kv) => kv && this.storage.delete(k, kv.modRevision)).catch(() => undefined); };
    try {
      if (spec.type === 'ExternalName') return undo;
      if (old && oldSpec.clusterIP && !spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
      if (!old || spec.clusterIP !== oldSpec.clusterIP) {
        if (spec.clusterIP === 'None') {
          spec.clusterIPs = ['None'];
        } else if (spec.clusterIP) {
          if (!this.inRange(spec.clusterIP)) {
            throw invalid(name, [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: "${spec.clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${this.ranges.serviceCidr}` }]);
          }
          if (!(await this.claim(IP_PREFIX + spec.clusterIP, owner))) {
            throw invalid(name, [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: "${spec.clusterIP}": provided IP is already allocated` }]);
          }
          claimed.push(IP_PREFIX + spec.clusterIP);
        } else {
          let ip: string | undefined;
          // Random probes first; a nearly full range falls back to a scan.
          for (let i = 0; i < 64 && !ip; i++) {
            const candidate = intToIp(this.base + 2 + Math.floor(Math.random() * (this.size - 3)));
            if (await this.claim(IP_PREFIX + candidate, owner)) ip = candidate;
          }
          for (let n = this.base + 2; !ip && n < this.base + this.size - 1; n++) {
            if (await this.claim(IP_PREFIX + intToIp(n), owner)) ip = intToIp(n);
          }
          if (!ip) throw new ApiError(500, 'InternalError', `allocate a ClusterIP for Service ${owner}: range ${this.ranges.serviceCidr} is full`);
          claimed.push(IP_PREFIX + ip);
          spec.clusterIP = ip;
        }
      }
      if (spec.clusterIP && spec.clusterIP !== 'None') spec.clusterIPs = [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';

      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        const oldPorts = new Set((oldSpec.ports ?? []).map((p) => p.nodePort).filter(Boolean));
        const [lo, hi] = this.ranges.nodePorts;
        for (const [i, port] of (spec.ports ?? []).entries()) {
          if (port.nodePort && oldPorts.has(port.nodePort)) continue;
          if (port.nodePort) {
            if (port.nodePort < lo || port.nodePort > hi || !(await this.claim(PORT_PREFIX + port.nodePort, owner))) {
              throw invalid(name, [{ reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${port.nodePort}: provided port is ${port.nodePort < lo || port.nodePort > hi ? `not in the valid range. The range of valid ports is ${lo}-${hi}` : 'already allocated'}` }]);
            }
            claimed.push(PORT_PREFIX + port.nodePort);
            continue;
          }
          let got: number | undefined;
          for (let t = 0; t < 64 && !got; t++) {
            const candidate = lo + Math.floor(Math.random() * (hi - lo + 1));
            if (await this.claim(PORT_PREFIX + candidate, owner)) got = candidate;
          }
          for (let n = lo; !got && n <= hi; n++) if (await this.claim(PORT_PREFIX + n, owner)) got = n;
          if (!got) throw new ApiError(500, 'InternalError', `allocate a NodePort for Service ${owner}: range ${lo}-${hi} is full`);
          claimed.push(PORT_PREFIX + got);
          port.nodePort = got;
        }
      }
      return undo;
    } catch (err) {
      await undo();
      throw err;
    }
  }

  /** Gives back what a Service held (after it was removed, or what an update dropped). */
  async release(svc: KubeObject, keep?: KubeObject): Promise<void> {
    const spec = (svc.spec ?? {}) as ServiceSpec;
    const keepSpec = (keep?.spec ?? {}) as ServiceSpec;
    const keys: string[] = [];
    if (spec.clusterIP && spec.clusterIP !== 'None' && spec.clusterIP !== keepSpec.clusterIP) keys.push(IP_PREFIX + spec.clusterIP);
    const kept = new Set((keepSpec.ports ?? []).map((p) => p.nodePort));
    for (const p of spec.ports ?? []) if (p.nodePort && !kept.has(p.nodePort)) keys.push(PORT_PREFIX + p.nodePort);
    for (const k of keys) {
      const kv = await this.storage.get(k);
      if (kv) await this.storage.delete(k, kv.modRevision).catch(() => undefined);
    }
  }
}
