import pLimit from 'p-limit';
import type { KubeClient } from '../kube/client.js';
import type { Discovery, ResourceInfo } from '../kube/discovery.js';
import { formatGroupKind } from '../kube/keys.js';
import { getObject, listMetadata, listObjects, type KubeObject, type ObjectMetadata } from '../kube/objects.js';
import { applySetKeys, type InventoryScope } from './inventory.js';
import { identityKey } from './normalise.js';

/** What reading the live side needs: the cluster, the ApplySet's id, and how many requests may be in flight. */
export interface LiveContext {
  client: KubeClient;
  discovery: Discovery;
  applySetId: string;
  concurrency: number;
}

/** A live object found by one of the lists, with the kind it was listed as. */
export interface LiveObject {
  info: ResourceInfo;
  live: KubeObject;
}

/** A declared object whose kind the cluster serves: what is looked up live. */
export interface Declared {
  info: ResourceInfo;
  /** `identityKey` of the object. */
  key: string;
  namespace: string | undefined;
  name: string;
}

/** What plan compares Git with: the ApplySet's labelled objects and the declared objects that exist without the label. */
export interface LiveView {
  /** Live objects carrying this ApplySet's label, by identity: members, and copies of the label that are not. */
  labelled: Map<string, LiveObject>;
  /** Declared objects that exist without the label, in full (adoption and refusal read them), by identity. */
  unlabelled: Map<string, KubeObject>;
}

/** One kind in one namespace (undefined: cluster-scoped): what one LIST covers. */
interface Slot {
  info: ResourceInfo;
  groupKind: string;
  namespace: string | undefined;
  declared: Declared[];
}

const slotKey = (groupKind: string, namespace: string | undefined) => `${groupKind} ${namespace ?? ''}`;

/** Whether the previous inventory covers a slot, so members may be there (KEP-3659: its group kinds × its namespaces). */
const inScope = (scope: InventoryScope, s: Slot) => scope.groupKinds.has(s.groupKind) && (s.namespace === undefined || scope.namespaces.has(s.namespace));

/**
 * Of these objects of one kind in one namespace, the ones that exist, by name: one GET for a
 * single object (its answer is the full object), else one metadata-only LIST for all of them,
 * so learning that 500 new objects do not exist yet costs one request, not 500.
 */
export async function existingIn(client: KubeClient, info: ResourceInfo, namespace: string | undefined, names: readonly string[]): Promise<Map<string, { metadata: ObjectMetadata['metadata']; object?: KubeObject }>> {
  const found = new Map<string, { metadata: ObjectMetadata['metadata']; object?: KubeObject }>();
  if (names.length === 1) {
    const object = await getObject(client, info, namespace, names[0]!);
    if (object) found.set(object.metadata.name, { metadata: object.metadata, object });
    return found;
  }
  if (names.length === 0) return found;
  const wanted = new Set(names);
  for (const { metadata } of await listMetadata(client, info, namespace)) if (wanted.has(metadata.name)) found.set(metadata.name, { metadata });
  return found;
}

/**
 * The slots of the declared objects, and every slot of the previous inventory's scope: members
 * can only be there (KEP-3659: prune lists the parent's group kinds × namespaces, and apply
 * records the union before writing). A kind or namespace the next scope adds holds no member
 * yet, so where no object is declared it is not listed: a first apply into 10 namespaces lists
 * the kinds each namespace declares, not every kind in every namespace and the parent's.
 */
async function slotsOf(discovery: Discovery, declared: readonly Declared[], previousScope: InventoryScope): Promise<Slot[]> {
  const slots = new Map<string, Slot>();
  // the declared objects' own kinds first: what resolve found is what they are compared under
  for (const d of declared) {
    const groupKind = formatGroupKind(d.info.apiVersion, d.info.kind);
    const key = slotKey(groupKind, d.namespace);
    const slot = slots.get(key) ?? { info: d.info, groupKind, namespace: d.namespace, declared: [] };
    slot.declared.push(d);
    slots.set(key, slot);
  }
  for (const groupKind of previousScope.groupKinds) {
    const info = await discovery.resourceForGroupKind(groupKind);
    if (!info) continue; // the kind is gone from the cluster (CRD deleted): nothing left to prune
    for (const namespace of info.namespaced ? previousScope.namespaces : [undefined]) {
      const key = slotKey(groupKind, namespace);
      if (!slots.has(key)) slots.set(key, { info, groupKind, namespace, declared: [] });
    }
  }
  return [...slots.values()];
}

/**
 * Reads what plan needs from the cluster with one or two LISTs per kind and namespace, never a
 * request per object that does not exist:
 * - where the previous inventory reaches, members are likely: a full LIST by the ApplySet label,
 *   then, for the declared objects it did not return, `existingIn`;
 * - elsewhere (a first apply, a new kind or namespace), one metadata-only LIST (as kubectl and
 *   Flux learn what exists) says both which declared objects exist and whether anything carries
 *   the label; only then is the labelled LIST sent.
 * Declared objects that exist without the label are fetched in full, one GET each: adoption,
 * refusal and takeover read their managedFields and annotations.
 */
export async function readLive(ctx: LiveContext, declared: readonly Declared[], previousScope: InventoryScope): Promise<LiveView> {
  const { client, applySetId } = ctx;
  const selector = `${applySetKeys.partOf}=${applySetId}`;
  const labelled = new Map<string, LiveObject>();
  const unlabelled = new Map<string, KubeObject>();
  const toFetch: Declared[] = [];
  const limit = pLimit(ctx.concurrency);

  const listLabelled = async (s: Slot) => {
    for (const live of await listObjects(client, s.info, s.namespace, selector)) labelled.set(identityKey(s.info, live.metadata.namespace, live.metadata.name), { info: s.info, live });
  };
  const readSlot = async (s: Slot) => {
    if (inScope(previousScope, s)) {
      await listLabelled(s);
      const missing = s.declared.filter((d) => !labelled.has(d.key));
      const existing = await existingIn(client, s.info, s.namespace, missing.map((d) => d.name));
      for (const d of missing) {
        const found = existing.get(d.name);
        if (found?.object) unlabelled.set(d.key, found.object);
        else if (found) toFetch.push(d);
      }
      return;
    }
    const all = await listMetadata(client, s.info, s.namespace);
    if (all.some((o) => o.metadata.labels?.[applySetKeys.partOf] === applySetId)) await listLabelled(s);
    const names = new Set(all.map((o) => o.metadata.name));
    for (const d of s.declared) if (names.has(d.name) && !labelled.has(d.key)) toFetch.push(d);
  };

  await Promise.all((await slotsOf(ctx.discovery, declared, previousScope)).map((s) => limit(() => readSlot(s))));
  await Promise.all(
    toFetch.map((d) =>
      limit(async () => {
        // gone since the list: it is created, as if the list had not seen it
        const live = await getObject(client, d.info, d.namespace, d.name);
        if (live) unlabelled.set(d.key, live);
      }),
    ),
  );
  return { labelled, unlabelled };
}
