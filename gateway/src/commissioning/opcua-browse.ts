/**
 * `provision browse`: an OPC-UA server's address space as a tree — browse name, node id, node
 * class, data type and current value — walked from Objects to a given depth. The connection goes
 * through the field module (connectOpcua), so an untrusted server certificate is refused exactly as
 * the gateway would refuse it, with the trust command in the error.
 */
import type { ClientSession, ReferenceDescription } from 'node-opcua-client';
import { silentLogger, type Logger } from '@safeloop/contract';
import type { OpcuaTransport } from '../field/opcua-connection.ts';

export interface BrowseNode {
  nodeId: string;
  browseName: string;
  nodeClass: 'Object' | 'Variable' | 'Method' | 'ObjectType' | 'VariableType' | 'ReferenceType' | 'DataType' | 'View' | 'Unspecified';
  dataType?: string;
  value?: unknown;
  /** Status of the value read when it is not Good. */
  status?: string;
  children: BrowseNode[];
  /** True when the depth limit stopped the walk here and the node has children. */
  truncated?: boolean;
}

export interface BrowseOptions {
  /** Levels below the start node (default 3). */
  depth?: number;
  /** Start node (default ObjectsFolder, i=85). */
  startNodeId?: string;
  /** Include the Server object (i=2253), which is large and rarely what a technician wants (default false). */
  includeServer?: boolean;
  /** At most this many nodes (default 2000), so a huge server cannot run the laptop out of memory. */
  maxNodes?: number;
}

const SERVER_NODE = 'ns=0;i=2253';

/** node-opcua loads only when a browse runs (it takes seconds), not when this module is imported. */
type Ua = typeof import('node-opcua-client');

function className(ua: Ua, c: number): BrowseNode['nodeClass'] {
  return ((ua.NodeClass as unknown as Record<number, string | undefined>)[c] as BrowseNode['nodeClass'] | undefined) ?? 'Unspecified';
}

function dataTypeName(ua: Ua, nodeId: { namespace: number; value: unknown; toString(): string }): string {
  if (nodeId.namespace === 0 && typeof nodeId.value === 'number') {
    const name = (ua.DataType as unknown as Record<number, string | undefined>)[nodeId.value];
    if (name !== undefined) return name;
  }
  return nodeId.toString();
}

function plainValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.slice(0, 20).map(plainValue);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>).slice(0, 20);
  if (v !== null && typeof v === 'object' && 'toString' in v) return String(v);
  return v;
}

async function children(ua: Ua, session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  const r = await session.browse({
    nodeId,
    browseDirection: ua.BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: ua.NodeClassMask.Object | ua.NodeClassMask.Variable | ua.NodeClassMask.Method,
    resultMask: 63,
  });
  return r.references ?? [];
}

/** Walk the address space of an open session. */
export async function browseSession(session: ClientSession, opts: BrowseOptions = {}): Promise<BrowseNode> {
  const ua = await import('node-opcua-client');
  const depth = opts.depth ?? 3;
  const maxNodes = opts.maxNodes ?? 2000;
  const startId = opts.startNodeId ?? 'ns=0;i=85';
  let count = 0;
  const root: BrowseNode = { nodeId: ua.resolveNodeId(startId).toString(), browseName: startId === 'ns=0;i=85' ? 'Objects' : startId, nodeClass: 'Object', children: [] };

  async function fill(node: BrowseNode, level: number): Promise<void> {
    const refs = (await children(ua, session, node.nodeId)).filter((r) => opts.includeServer === true || r.nodeId.toString() !== SERVER_NODE);
    if (level >= depth) {
      if (refs.length > 0) node.truncated = true;
      return;
    }
    const kids: BrowseNode[] = [];
    for (const r of refs) {
      if (count >= maxNodes) {
        node.truncated = true;
        break;
      }
      count += 1;
      kids.push({ nodeId: r.nodeId.toString(), browseName: r.browseName.toString(), nodeClass: className(ua, r.nodeClass), children: [] });
    }
    const vars = kids.filter((k) => k.nodeClass === 'Variable');
    if (vars.length > 0) {
      const values = await session.read(vars.flatMap((v) => [
        { nodeId: v.nodeId, attributeId: ua.AttributeIds.Value },
        { nodeId: v.nodeId, attributeId: ua.AttributeIds.DataType },
      ]));
      vars.forEach((v, i) => {
        const value = values[i * 2];
        const type = values[i * 2 + 1];
        if (type?.value.value) v.dataType = dataTypeName(ua, type.value.value as { namespace: number; value: unknown; toString(): string });
        if (value) {
          if (value.statusCode.isGood()) v.value = plainValue(value.value.value);
          else v.status = value.statusCode.name;
        }
      });
    }
    node.children = kids;
    for (const k of kids) if (k.nodeClass === 'Object' || k.nodeClass === 'Variable') await fill(k, level + 1);
  }
  await fill(root, 0);
  return root;
}

/** Connect with the field module's rules (trust folder, security) and browse. */
export async function browseOpcua(transport: OpcuaTransport, opts: BrowseOptions & { logger?: Logger } = {}): Promise<BrowseNode> {
  const { connectOpcua } = await import('../field/opcua-connection.ts');
  const conn = await connectOpcua({ transport, logger: opts.logger ?? silentLogger, applicationName: 'SafeLoopBrowse' });
  try {
    return await browseSession(conn.session, opts);
  } finally {
    await conn.close();
  }
}

/** The tree as text, one node a line: `├─ Level  ns=1;s=Tank01.Level  Variable Double = 4.2`. */
export function formatBrowseTree(root: BrowseNode): string {
  const lines: string[] = [`${root.browseName}  ${root.nodeId}`];
  const walk = (node: BrowseNode, prefix: string): void => {
    node.children.forEach((c, i) => {
      const last = i === node.children.length - 1;
      const value = c.nodeClass === 'Variable' ? ` ${c.dataType ?? '?'} = ${c.status ?? JSON.stringify(c.value)}` : '';
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${c.browseName}  ${c.nodeId}  ${c.nodeClass}${value}${c.truncated ? '  …' : ''}`);
      walk(c, prefix + (last ? '   ' : '│  '));
    });
  };
  walk(root, '');
  return lines.join('\n');
}

/** Variables of the tree (for matching against a profile's node ids). */
export function browseVariables(root: BrowseNode): BrowseNode[] {
  const out: BrowseNode[] = [];
  const walk = (n: BrowseNode): void => {
    if (n.nodeClass === 'Variable') out.push(n);
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}
