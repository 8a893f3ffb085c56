/**
 * Demo places, households and cadres for 兖州区 (370812).
 *
 * Township codes and names are the real ones (GB/T 2260 statistical codes, 2023). The villages named
 * in public reporting (道义社区, 泗庄社区, 天齐庙村, 屯二村, 史村, 管口新村) are included; their real village
 * codes are unknown, so every village code here is made up following the usual scheme (居委会/社区 from
 * 001, 村委会 from 200). All other village names, every person and every phone number are fictional.
 * Phone numbers come from 1990000xxxx, a range that cannot belong to a real subscriber.
 *
 * Deterministic: all randomness comes from the seeded PRNG in ./prng.ts, so every call returns
 * deep-equal data.
 */
import { createRng } from './prng.js';
import type { Rng } from './prng.js';
import type { CadreRole, CadreSeed, DistrictSeed, HouseholdSeed, TownSeed, VillageSeed } from './types.js';

/* ------------------------------------------------------------------------------------------------
 * Places
 * ---------------------------------------------------------------------------------------------- */

type Layout = 'lanes' | 'streets' | 'mixed' | 'community';

interface VillageDef {
  name: string;
  /** the big surname of the village (李家营村 → 李), if it has one */
  clan?: string;
  /** door layout; 社区 are always 'community' */
  layout?: Exclude<Layout, 'community'>;
  /** fixed number of lanes 胡同 (史村 has 12) */
  lanes?: number;
}

interface TownDef {
  code: string;
  name: string;
  villages: VillageDef[];
}

const DISTRICT_CODE = '370812';
const DISTRICT_NAME = '兖州区';

const TOWNS: readonly TownDef[] = [
  {
    code: '370812001',
    name: '鼓楼街道',
    villages: [{ name: '东关社区' }, { name: '西关社区' }, { name: '中御桥社区' }, { name: '后李村', clan: '李', layout: 'mixed' }],
  },
  {
    code: '370812003',
    name: '龙桥街道',
    villages: [{ name: '龙桥社区' }, { name: '南关社区' }, { name: '九州社区' }],
  },
  {
    code: '370812006',
    name: '酒仙桥街道',
    villages: [{ name: '酒仙桥社区' }, { name: '泗河社区' }, { name: '兴华社区' }, { name: '杨庄村', clan: '杨', layout: 'streets' }],
  },
  {
    code: '370812007',
    name: '兴隆庄街道',
    villages: [{ name: '兴隆社区' }, { name: '矿建社区' }, { name: '孟家村', clan: '孟', layout: 'lanes' }],
  },
  {
    code: '370812101',
    name: '大安镇',
    villages: [
      { name: '大安社区' },
      { name: '李家营村', clan: '李', layout: 'lanes' },
      { name: '王庄村', clan: '王', layout: 'streets' },
      { name: '后屯村', layout: 'mixed' },
    ],
  },
  {
    code: '370812102',
    name: '新驿镇',
    villages: [
      { name: '前辛庄村', layout: 'streets' },
      { name: '赵家村', clan: '赵', layout: 'lanes' },
      { name: '孙家楼村', clan: '孙', layout: 'mixed' },
      { name: '西店村', layout: 'lanes' },
    ],
  },
  {
    code: '370812103',
    name: '颜店镇',
    villages: [
      { name: '天齐庙村', layout: 'streets' },
      { name: '屯二村', layout: 'lanes' },
      { name: '史村', clan: '史', layout: 'lanes', lanes: 12 },
      { name: '孔家庄村', clan: '孔', layout: 'mixed' },
    ],
  },
  {
    code: '370812105',
    name: '新兖镇',
    villages: [
      { name: '道义社区' },
      { name: '泗庄社区' },
      { name: '刘家村', clan: '刘', layout: 'lanes' },
      { name: '东岗村', layout: 'streets' },
    ],
  },
  {
    code: '370812107',
    name: '漕河镇',
    villages: [
      { name: '管口新村', layout: 'streets' },
      { name: '马家楼村', clan: '马', layout: 'lanes' },
      { name: '高庄村', clan: '高', layout: 'mixed' },
    ],
  },
  {
    code: '370812111',
    name: '小孟镇',
    villages: [
      { name: '小孟社区' },
      { name: '韩家村', clan: '韩', layout: 'lanes' },
      { name: '后寨村', layout: 'streets' },
      { name: '张家林村', clan: '张', layout: 'mixed' },
    ],
  },
];

/** streets of a 社区 (street-front houses and 平房) */
const COMMUNITY_STREETS = ['建设路', '文化路', '青年路', '新华路', '府前街', '兴隆路', '龙桥路', '九州路', '团结路', '育才路'] as const;
/** streets of a 村 */
const VILLAGE_STREETS = ['前街', '后街', '中心街', '东大街', '西大街', '南街', '北街', '幸福路', '振兴路', '和平街'] as const;
/** the main street of a 'mixed' village, whose side lanes are numbered 胡同 */
const MAIN_STREETS = ['中心街', '大街', '东大街', '幸福路'] as const;

/* ------------------------------------------------------------------------------------------------
 * People
 * ---------------------------------------------------------------------------------------------- */

/** common surnames, the most frequent ones repeated so that they come up more often */
const SURNAMES = [
  '王', '王', '王', '李', '李', '李', '张', '张', '张', '刘', '刘', '陈', '陈', '杨', '杨', '赵', '赵',
  '黄', '周', '吴', '孔', '孔', '颜', '孟', '孟', '徐', '孙', '孙', '马', '朱', '胡', '郭', '何',
  '高', '林', '宋', '田', '韩', '史', '曹', '崔', '邵',
] as const;

const GIVEN_TWO = [
  // mostly older generation (household heads)
  '建国', '建军', '建华', '国强', '国庆', '志强', '志刚', '卫东', '卫国', '振华', '德胜', '德山', '广才',
  '庆祥', '宝山', '长江', '新民', '立新', '春生', '学文', '明亮', '永强', '金柱', '玉田', '守义', '兴旺',
  '传富', '继东', '茂林', '树森', '连生', '福来', '元华', '成林', '庆华', '红军', '爱民', '保国', '玉林',
  '秀英', '桂英', '玉兰', '秀兰', '凤英', '淑珍', '桂兰', '玉梅', '秀云', '冬梅', '秀芳', '玉霞', '爱华',
  '素芬', '月英', '淑英', '兰芳', '艳红', '春梅', '彩霞', '玉珍', '巧云', '金凤', '桂芝', '凤兰',
  // younger
  '海涛', '俊杰', '文博', '宏伟', '晓东', '泽宇', '子豪', '家乐', '宇航', '海燕', '红梅', '丽娟', '春燕',
  '美玲', '晓丽', '文静', '雪梅', '丽华', '慧敏', '婷婷', '欣怡', '晓燕', '建波', '立伟', '庆阳', '思远',
] as const;

const GIVEN_ONE = [
  '伟', '敏', '静', '强', '磊', '军', '勇', '艳', '杰', '娟', '涛', '霞', '平', '刚', '芳', '斌', '鹏',
  '华', '峰', '亮', '丽', '燕', '辉', '玲', '波', '琳', '鑫', '凯', '英', '萍',
] as const;

/** full names best avoided: famous people, internet memes */
const AVOID_NAMES = new Set(['马超', '李刚', '杨洋', '孔明', '韩红', '孟浩然', '王杰', '高峰', '林峰']);

function makeName(rng: Rng, used: Set<string>, clan: string | undefined, clanShare: number): string {
  for (let attempt = 0; attempt < 200; attempt++) {
    const surname = clan !== undefined && rng.chance(clanShare) ? clan : rng.pick(SURNAMES);
    const given = rng.chance(0.3) ? rng.pick(GIVEN_ONE) : rng.pick(GIVEN_TWO);
    const name = surname + given;
    if (!used.has(name) && !AVOID_NAMES.has(name)) {
      used.add(name);
      return name;
    }
  }
  // practically unreachable: walk the whole name space in order
  for (const surname of new Set(SURNAMES)) {
    for (const given of [...GIVEN_TWO, ...GIVEN_ONE]) {
      const name = surname + given;
      if (!used.has(name) && !AVOID_NAMES.has(name)) {
        used.add(name);
        return name;
      }
    }
  }
  throw new Error('name space exhausted');
}

/* ------------------------------------------------------------------------------------------------
 * Phones: 1990000xxxx only. Cadres take 19900000001 upward, households 19900001001 upward.
 * ---------------------------------------------------------------------------------------------- */

const PHONE_PREFIX = '1990000';
const CADRE_PHONE_START = 1;
const HOUSEHOLD_PHONE_START = 1001;

class PhoneCounter {
  private n: number;
  constructor(
    start: number,
    private readonly limit: number,
  ) {
    this.n = start;
  }
  take(): string {
    if (this.n > this.limit) throw new Error('demo phone range exhausted');
    const phone = PHONE_PREFIX + String(this.n).padStart(4, '0');
    this.n += 1;
    return phone;
  }
}

/* ------------------------------------------------------------------------------------------------
 * Door addresses
 * ---------------------------------------------------------------------------------------------- */

function laneAddresses(rng: Rng, def: VillageDef): string[] {
  const sizes: number[] = [];
  if (def.lanes !== undefined) {
    for (let i = 0; i < def.lanes; i++) sizes.push(rng.int(5, 12));
  } else {
    const target = rng.int(35, 115);
    let total = 0;
    while (total < target) {
      const size = rng.int(5, 15);
      if (total + size > 150) break;
      sizes.push(size);
      total += size;
    }
  }
  const out: string[] = [];
  sizes.forEach((size, i) => {
    for (let h = 1; h <= size; h++) out.push(`${i + 1}胡同${h}号`);
  });
  return out;
}

function streetAddresses(rng: Rng): string[] {
  const target = rng.int(35, 115);
  const streets = rng.shuffle(VILLAGE_STREETS);
  const out: string[] = [];
  let remaining = target;
  for (let i = 0; i < streets.length && remaining > 0; i++) {
    const street = streets[i]!;
    const isLast = i === streets.length - 1;
    const size = isLast ? remaining : Math.min(remaining, rng.int(15, 45));
    for (let h = 1; h <= size; h++) out.push(`${street}${h}号`);
    remaining -= size;
  }
  return out;
}

function mixedAddresses(rng: Rng): string[] {
  const out: string[] = [];
  const main = rng.pick(MAIN_STREETS);
  const mainSize = rng.int(12, 30);
  for (let h = 1; h <= mainSize; h++) out.push(`${main}${h}号`);
  const target = rng.int(35, 115);
  let lane = 0;
  while (out.length < target) {
    const size = rng.int(5, 15);
    if (out.length + size > 150) break;
    lane += 1;
    for (let h = 1; h <= size; h++) out.push(`${lane}胡同${h}号`);
  }
  return out;
}

function communityAddresses(rng: Rng, urban: boolean): string[] {
  const target = urban ? rng.int(60, 140) : rng.int(50, 110);
  const streetCount = Math.round(target * (urban ? rng.int(10, 25) : rng.int(20, 35)) / 100);
  const flatCount = target - streetCount;

  // 5- or 6-storey walk-ups, 2–3 units, two flats per landing; not every flat is a registered household
  const flats: string[] = [];
  for (let building = 1; flats.length < flatCount / 0.8; building++) {
    const units = rng.int(2, 3);
    const floors = rng.chance(0.6) ? 6 : 5;
    for (let unit = 1; unit <= units; unit++) {
      for (let floor = 1; floor <= floors; floor++) {
        for (let room = 1; room <= 2; room++) flats.push(`${building}号楼${unit}单元${floor}0${room}室`);
      }
    }
  }
  const keep = new Set(rng.shuffle(flats.map((_, i) => i)).slice(0, flatCount));
  const out = flats.filter((_, i) => keep.has(i));

  // street-front houses along one or two streets; numbers skip shops and yards
  const streets = rng.shuffle(COMMUNITY_STREETS).slice(0, rng.int(1, 2));
  let remaining = streetCount;
  streets.forEach((street, i) => {
    const size = i === streets.length - 1 ? remaining : Math.ceil(remaining / 2);
    let no = rng.int(1, 12);
    for (let h = 0; h < size; h++) {
      out.push(`${street}${no}号`);
      no += rng.int(1, 3);
    }
    remaining -= size;
  });
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * Duty hours
 * ---------------------------------------------------------------------------------------------- */

function dutyHours(rng: Rng, role: CadreRole, community: boolean, street: boolean): string {
  const office = community ? '社区党群服务中心' : '村委会';
  switch (role) {
    case 'party_secretary':
      return rng.pick([
        `工作日 8:30-17:30，${office}值班`,
        `工作日 8:00-12:00、14:00-17:30，${office}办公室`,
        `每天上午在${office}，下午入户走访，急事随时电话`,
      ]);
    case 'committee_director':
      return rng.pick([
        `工作日 8:30-17:30，${office}值班`,
        `每周二、四全天在${office}，其余时间电话联系`,
        `工作日上午在${office}，下午电话联系`,
      ]);
    case 'grid_worker':
      return rng.pick([
        '网格内随时联系（8:00-20:00）',
        `每天上午走访网格，下午在${office}（8:00-18:00）`,
        '工作日 8:00-18:00，周末电话联系',
      ]);
    case 'first_secretary':
      return rng.pick([
        '每周一、三、五上午在村',
        '每周一至周四驻村，村委会第一书记办公室',
        '工作日驻村，周末电话联系',
      ]);
    case 'town_cadre': {
      const base = street ? '街道办事处' : '镇政府';
      return rng.pick([
        `每周二、四上午到包保村居走访，其余时间在${base}（工作日 8:30-17:30）`,
        `每周一、三下午到包保村居，其余时间在${base}`,
        `工作日 8:30-17:30 在${base}，每周至少两次到村居`,
      ]);
    }
  }
}

/* ------------------------------------------------------------------------------------------------
 * Build
 * ---------------------------------------------------------------------------------------------- */

interface PlannedVillage {
  def: VillageDef;
  code: string;
  community: boolean;
}

function planTown(town: TownDef): PlannedVillage[] {
  let communityNo = 1;
  let villageNo = 200;
  const planned = town.villages.map((def) => {
    const community = def.name.endsWith('社区');
    const suffix = community ? communityNo++ : villageNo++;
    return { def, community, code: town.code + String(suffix).padStart(3, '0') };
  });
  return planned.sort((a, b) => a.code.localeCompare(b.code));
}

export function buildDistrict(): DistrictSeed {
  const cadrePhones = new PhoneCounter(CADRE_PHONE_START, HOUSEHOLD_PHONE_START - 1);
  const householdPhones = new PhoneCounter(HOUSEHOLD_PHONE_START, 9999);

  const plans = TOWNS.map((town) => ({ town, villages: planTown(town) }));
  const all = plans.flatMap((p) => p.villages);

  // District-wide role flags: a 村委会主任 in about half of the villages (elsewhere the secretary
  // holds both posts, 一肩挑), a 驻村第一书记 in about a third, chosen among the 村.
  const roleRng = createRng(`${DISTRICT_CODE}/roles`);
  const withDirector = new Set(roleRng.shuffle(all.map((v) => v.code)).slice(0, Math.round(all.length / 2)));
  const ruralCodes = all.filter((v) => !v.community).map((v) => v.code);
  const withFirstSecretary = new Set(roleRng.shuffle(ruralCodes).slice(0, Math.round(all.length / 3)));

  const towns: TownSeed[] = plans.map(({ town, villages: planned }) => {
    const townRng = createRng(`${DISTRICT_CODE}/${town.code}`);
    const street = town.name.endsWith('街道');
    const usedNames = new Map<string, Set<string>>(planned.map((v) => [v.code, new Set<string>()]));

    // 包村干部: each serves 1–3 of the town's villages, every village exactly one
    const townCadres: TownSeed['townCadres'] = [];
    const order = townRng.shuffle(planned.map((v) => v.code));
    while (order.length > 0) {
      const size = Math.min(order.length, order.length === 4 ? 2 : townRng.int(1, 3));
      const codes = order.splice(0, size).sort();
      const used = new Set<string>();
      for (const code of codes) for (const n of usedNames.get(code) ?? []) used.add(n);
      for (const other of townCadres) used.add(other.name);
      const name = makeName(townRng, used, undefined, 0);
      for (const code of codes) usedNames.get(code)?.add(name);
      townCadres.push({
        name,
        role: 'town_cadre',
        phone: cadrePhones.take(),
        dutyHours: dutyHours(townRng, 'town_cadre', false, street),
        villageCodes: codes,
      });
    }

    const villages: VillageSeed[] = planned.map(({ def, code, community }) => {
      const rng = createRng(`${DISTRICT_CODE}/${code}`);
      const used = usedNames.get(code) ?? new Set<string>();
      const clan = def.clan;

      let addresses: string[];
      if (community) addresses = communityAddresses(rng, street);
      else if (def.layout === 'lanes' || def.lanes !== undefined) addresses = laneAddresses(rng, def);
      else if (def.layout === 'mixed') addresses = mixedAddresses(rng);
      else addresses = streetAddresses(rng);

      // cadres: own ones plus the one town cadre serving the village must stay within 2–5
      const servedBy = townCadres.filter((c) => c.villageCodes.includes(code)).length;
      const roles: CadreRole[] = [];
      if (withFirstSecretary.has(code)) roles.push('first_secretary');
      roles.push('party_secretary');
      if (withDirector.has(code)) roles.push('committee_director');
      roles.push('grid_worker');
      if ((community || addresses.length > 90) && roles.length + 1 + servedBy <= 5) roles.push('grid_worker');

      const cadres: CadreSeed[] = roles.map((role) => ({
        // 村 leaders often carry the village's big surname; first secretaries come from outside
        name: makeName(rng, used, role === 'first_secretary' ? undefined : clan, 0.5),
        role,
        phone: cadrePhones.take(),
        dutyHours: dutyHours(rng, role, community, street),
      }));

      const households: HouseholdSeed[] = addresses.map((address) => {
        if (!rng.chance(0.7)) return { address, contactName: null, contactPhone: null };
        return {
          address,
          contactName: makeName(rng, used, clan, 0.4),
          contactPhone: householdPhones.take(),
        };
      });

      return { code, name: def.name, households, cadres };
    });

    // Made-up address; the telephone is 0537-151 + the town's three digits + 0, which cannot be a real line.
    const centre = {
      address: `${town.name}${street ? '办事处' : '人民政府'}院内 便民服务中心一楼大厅`,
      phone: `0537-151${town.code.slice(-3)}0`,
    };
    return { code: town.code, name: town.name, centre, villages, townCadres };
  });

  return { code: DISTRICT_CODE, name: DISTRICT_NAME, towns };
}
