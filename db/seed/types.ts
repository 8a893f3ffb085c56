/** Shapes of the demo seed data. The seed writer (src/features/seed) turns these into rows. */

export type ItemTypeCode = '01' | '02' | '03' | '04' | '05' | '06' | '07' | '08' | '09' | '10' | '20';
export type TimeUnit = '工作日' | '自然日';

/** 申请材料 */
export interface MaterialSeed {
  name: string; // 材料名称
  necessity: '必要' | '非必要' | '容缺'; // 材料必要性
  form: '纸质' | '电子' | '纸质/电子'; // 材料形式
  source: string; // 来源渠道, e.g. 申请人自备, 政府部门核发
  copies: number; // 纸质材料份数 (0 for electronic only)
  notes: string; // 填报须知, may be ''
}

/** 收费项目 */
export interface FeeSeed {
  name: string; // 收费项目名称
  standard: string; // 收费标准
  basis: string; // 收费依据
  reducible: boolean; // 是否允许减免
}

export interface FaqSeed {
  q: string;
  a: string;
}

/** One government service item (政务服务事项) as a villager's guide needs it. */
export interface CatalogItemSeed {
  code: string; // 基本编码: exactly 12 characters, unique
  implCode: string; // 实施编码: unique
  name: string; // 事项名称: unique
  keywords: string[]; // words villagers use for it (低保, 医保, 社保卡 …), may be []
  typeCode: ItemTypeCode; // 事项类型 code
  typeName: string; // 事项类型 name matching the code
  themeCode: string; // 面向自然人事项主题分类 code from DOMAIN.md
  level: string; // 行使层级: 区县级 / 市级 / 乡镇（街道）级 …
  basis: string; // 设定依据
  department: string; // 实施主体
  departmentCode: string; // 实施主体编码 (18-char unified social credit code style)
  handlingType: '即办件' | '承诺件'; // 办件类型
  target: string; // 服务对象: 自然人 / 自然人、法人
  conditions: string; // 受理条件
  legalLimit: number; // 法定办结时限
  legalLimitUnit: TimeUnit;
  promisedLimit: number; // 承诺办结时限 (0 = 即办)
  promisedLimitUnit: TimeUnit;
  visits: 0 | 1 | 2 | 3; // 到办事现场次数
  charged: boolean; // 是否收费
  fees: FeeSeed[]; // [] when not charged
  forms: string; // 办理形式: 窗口办理、网上办理、快递申请 …
  process: string[]; // 办理流程, one step each
  place: string; // 办理地点
  hours: string; // 办理时间
  consultPhone: string; // 咨询方式
  complaintPhone: string; // 监督投诉方式
  online: boolean; // 是否网办
  onlineDepth: 1 | 2 | 3 | 4; // 网上办理深度: 1 全程网办, 2 在线预审, 3 事项公开, 4 在线办理
  pcUrl: string | null; // 计算机端在线办理跳转地址
  mobileUrl: string | null; // 移动端办理地址
  appointment: boolean; // 是否支持预约办理
  express: boolean; // 是否支持物流快递
  scope: string; // 通办范围
  highFrequency: boolean; // 高频事项
  canApply: boolean; // 可在码上办申请
  materials: MaterialSeed[];
  faqs: FaqSeed[];
}

export interface CadreSeed {
  name: string; // fictional
  role: CadreRole;
  phone: string; // 1990000xxxx: a range that cannot be a real subscriber
  dutyHours: string;
}

export type CadreRole = 'first_secretary' | 'party_secretary' | 'committee_director' | 'town_cadre' | 'grid_worker';

export interface HouseholdSeed {
  address: string; // door address within the village, e.g. 3胡同12号
  contactName: string | null; // fictional household contact
  contactPhone: string | null;
}

export interface VillageSeed {
  code: string; // 12 digits
  name: string;
  households: HouseholdSeed[];
  /** cadres serving only this village */
  cadres: CadreSeed[];
}

export interface TownSeed {
  code: string; // 9 digits
  name: string;
  /** the town's 便民服务中心 (made up for the demo; hours are the usual ones) */
  centre: { address: string; phone: string };
  villages: VillageSeed[];
  /** 包村干部: town cadres, each serving several of this town's villages (by village code) */
  townCadres: Array<CadreSeed & { villageCodes: string[] }>;
}

export interface DistrictSeed {
  code: string; // 6 digits
  name: string;
  towns: TownSeed[];
}
