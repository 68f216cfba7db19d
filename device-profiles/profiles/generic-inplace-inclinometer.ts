import { inclinometerNode } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const nodes = [1, 2, 3, 4].map((n) => ({ n, points: inclinometerNode(n, (n - 1) * 8) }));

/**
 * In-place inclinometer string (固定式测斜仪, 内部位移) with four nodes, RS-485 Modbus. Input registers
 * per node n (base = 8 × (n − 1)): tilt A, tilt B (deg), displacement A, displacement B (mm), all
 * float32 ABCD. Input register 30033: node fault bits (bit n − 1 = node n fault). Displacement limits
 * are design-specific (GB 51108: site method) and are set per instance.
 */
export default defineProfile({
  id: 'generic-inplace-inclinometer',
  name: { zh: '固定式测斜仪 (4节点)', en: 'In-place inclinometer (4 nodes)' },
  sector: 'tailings',
  protocol: 'modbus',
  points: nodes.flatMap((node) => node.points),
  status: nodes.map((node) => ({
    id: `node${node.n}Status`,
    name: { zh: `节点${node.n}状态`, en: `Node ${node.n} status` },
    table: 'input' as const,
    address: 32,
    bits: [{ bit: node.n - 1, state: 'fault' as const, label: { zh: '节点故障', en: 'node fault' } }],
    appliesTo: node.points.map((p) => p.id),
  })),
});
