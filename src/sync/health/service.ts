import type { KubeObject } from '../../kube/objects.js';
import { records, str } from './fields.js';
import { healthy, progressing, type Health } from './types.js';

/** `status.loadBalancer.ingress` addresses (ip or hostname), as Services and Ingresses both report them. */
export function loadBalancerAddresses(object: KubeObject): string[] {
  return records(object, 'status.loadBalancer.ingress')
    .map((entry) => str(entry, 'ip') ?? str(entry, 'hostname'))
    .filter((address): address is string => address !== undefined && address !== '');
}

/** `1.2.3.4` or `1.2.3.4 and 2 more`. */
export function addressList(addresses: readonly string[]): string {
  const [first = '', ...rest] = addresses;
  return rest.length ? `${first} and ${rest.length} more` : first;
}

/**
 * v1 Service: only a `LoadBalancer` waits, until the cloud controller (or MetalLB, ...) writes
 * an address; every other type is healthy once applied. As in Argo CD (gitops-engine
 * health_service.go), except that an ingress entry counts only with an ip or hostname (Argo
 * counts any entry; the API defines an entry by them). Without `waitForAddress`
 * (`health.loadBalancerAddresses: false`, for clusters without a load balancer) it is healthy at once.
 */
export function serviceHealth(object: KubeObject, waitForAddress = true): Health {
  if (str(object, 'spec.type') !== 'LoadBalancer') return healthy('applied');
  const addresses = loadBalancerAddresses(object);
  if (addresses.length > 0) return healthy(`load balancer at ${addressList(addresses)}`);
  if (!waitForAddress) return healthy('load balancer address not awaited (health.loadBalancerAddresses: false)');
  const lbClass = str(object, 'spec.loadBalancerClass');
  return progressing(`waiting for a load balancer address${lbClass ? ` from class ${lbClass}` : ''}`);
}
