import type { KubeObject } from '../../kube/objects.js';
import { str } from './fields.js';
import { addressList, loadBalancerAddresses } from './service.js';
import { healthy, progressing, type Health } from './types.js';

/**
 * networking.k8s.io Ingress: healthy once the ingress controller has published an address in
 * `status.loadBalancer.ingress`, as in Argo CD (gitops-engine health_ingress.go), which counts any
 * entry; here an entry needs an ip or hostname. Without `waitForAddress`
 * (`health.loadBalancerAddresses: false`) it is healthy at once: some controllers never publish one.
 */
export function ingressHealth(object: KubeObject, waitForAddress = true): Health {
  const addresses = loadBalancerAddresses(object);
  if (addresses.length > 0) return healthy(`address ${addressList(addresses)}`);
  if (!waitForAddress) return healthy('address not awaited (health.loadBalancerAddresses: false)');
  const ingressClass = str(object, 'spec.ingressClassName');
  return progressing(`waiting for an address from the ingress controller${ingressClass ? ` (class ${ingressClass})` : ''}`);
}
