/** Apply stages: a CRD before its custom resources, a Namespace before what lives in it. */
export const enum Stage {
  CustomResourceDefinitions = 0,
  Namespaces = 1,
  Rest = 2,
}

export function stageOf(object: { apiVersion: string; kind: string }): Stage {
  if (object.kind === 'CustomResourceDefinition' && object.apiVersion.startsWith('apiextensions.k8s.io/')) return Stage.CustomResourceDefinitions;
  if (object.kind === 'Namespace' && object.apiVersion === 'v1') return Stage.Namespaces;
  return Stage.Rest;
}
