/**
 * A small MaxMind DB (MMDB v2) writer for tests: an IPv6 tree (IPv4 networks under ::/96, where
 * readers look them up), 24-bit records, and maps of strings and unsigned integers. Enough to
 * build an IP-to-country/ASN database of test ranges (192.0.2.0/24, 2001:db8::/32, …) that the
 * intake reads like the published open databases. Format: https://maxmind.github.io/MaxMind-DB/
 */
import { isIPv4 } from 'node:net';

export type MmdbValue = string | number | { [key: string]: MmdbValue };

interface TreeNode {
  children: [TreeNode | MmdbValue | undefined, TreeNode | MmdbValue | undefined];
}

export function writeMmdb(
  networks: { cidr: string; data: Record<string, MmdbValue> }[],
  databaseType = 'kalkan-test',
): Buffer {
  const root: TreeNode = { children: [undefined, undefined] };
  for (const { cidr, data } of networks) {
    const [address = '', bitsText = ''] = cidr.split('/');
    const v4 = isIPv4(address);
    const bits = [...(v4 ? Array<number>(96).fill(0) : []), ...addressBits(address)];
    const length = Number(bitsText) + (v4 ? 96 : 0);
    let node = root;
    for (let i = 0; i < length - 1; i++) {
      const bit = bits[i] as 0 | 1;
      const child = node.children[bit];
      if (child === undefined || !isNode(child))
        node.children[bit] = { children: [undefined, undefined] };
      node = node.children[bit] as TreeNode;
    }
    node.children[bits[length - 1] as 0 | 1] = data;
  }
  const nodes: TreeNode[] = [];
  const number = new Map<TreeNode, number>();
  const visit = (node: TreeNode) => {
    number.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children) if (child !== undefined && isNode(child)) visit(child);
  };
  visit(root);
  const data: Buffer[] = [];
  let dataLength = 0;
  const offsets = new Map<MmdbValue, number>();
  const record = (child: TreeNode | MmdbValue | undefined): number => {
    if (child === undefined) return nodes.length;
    if (isNode(child)) return number.get(child) as number;
    let offset = offsets.get(child);
    if (offset === undefined) {
      offset = dataLength;
      const bytes = encode(child);
      data.push(bytes);
      dataLength += bytes.length;
      offsets.set(child, offset);
    }
    return nodes.length + 16 + offset;
  };
  const tree = Buffer.alloc(nodes.length * 6);
  nodes.forEach((node, i) => {
    tree.writeUIntBE(record(node.children[0]), i * 6, 3);
    tree.writeUIntBE(record(node.children[1]), i * 6 + 3, 3);
  });
  const metadata = encode({
    node_count: nodes.length,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    metadata,
  ]);
}

function isNode(value: TreeNode | MmdbValue): value is TreeNode {
  return typeof value === 'object' && 'children' in value && Array.isArray(value.children);
}

function addressBits(address: string): number[] {
  const bytes = isIPv4(address) ? address.split('.').map(Number) : ipv6Bytes(address);
  return bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** MMDB data: a control byte (type << 5 | size), extended sizes, then the payload. */
function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') return withControl(2, Buffer.from(value, 'utf8'));
  if (typeof value === 'number') {
    const bytes: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    return withControl(6, Buffer.from(bytes));
  }
  const entries = Object.entries(value);
  const parts = entries.flatMap(([k, v]) => [encode(k), encode(v)]);
  return Buffer.concat([control(7, entries.length), ...parts]);
}

function withControl(type: number, payload: Buffer): Buffer {
  return Buffer.concat([control(type, payload.length), payload]);
}

function control(type: number, size: number): Buffer {
  if (size < 29) return Buffer.from([(type << 5) | size]);
  if (size < 29 + 256) return Buffer.from([(type << 5) | 29, size - 29]);
  const extra = size - 285;
  return Buffer.from([(type << 5) | 30, extra >> 8, extra & 0xff]);
}
