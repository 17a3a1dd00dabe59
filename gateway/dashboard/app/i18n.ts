import { signal } from '@preact/signals';

export type Lang = 'zh' | 'en';

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('rw-lang') : null;
/** Chinese by default (the county centre's language); English for visitors and engineers. */
export const lang = signal<Lang>(saved === 'en' ? 'en' : 'zh');

export function setLang(l: Lang): void {
  lang.value = l;
  localStorage.setItem('rw-lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

const WORDS = {
  title: ['路卫 · 县级指挥台', 'roadwarden · county centre'],
  alarms: ['实时报警', 'Live alarms'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  username: ['用户名', 'User name'],
  password: ['密码', 'Password'],
  loginFailed: ['用户名或密码错误', 'User name or password is wrong'],
  noAlarms: ['暂无报警', 'No alarms yet'],
  defaultPlan: [
    '正在使用默认响应预案：村居和警务响应只在本指挥台显示，尚未配置短信或对接接口（见 gateway.yaml 的 responses）。',
    'Running on the default response plan: village and police responses are shown on this dashboard only; no SMS or receiving system is configured yet (responses: in gateway.yaml).',
  ],
  noPlan: ['无响应预案，未立案', 'No response plan for this kind: no case'],
  loadMore: ['加载更多', 'Load more'],
  live: ['实时', 'Live'],
  offline: ['连接中断，正在重连…', 'Disconnected, reconnecting…'],
  noPlate: ['未识别车牌', 'Plate not read'],
  riders: ['载人', 'riders'],
  caseTitle: ['案件', 'Case'],
  caseOpen: ['处置中', 'Open'],
  caseClosed: ['已结案', 'Closed'],
  notFound: ['没有这个案件，或不在您的辖区', 'No such case, or not in your area'],
  back: ['返回列表', 'Back to the list'],
  timeline: ['处置经过', 'Timeline'],
  captured: ['抓拍', 'Captured'],
  acknowledge: ['确认接收', 'Acknowledge'],
  complete: ['记录结果', 'Record outcome'],
  waive: ['免除', 'Waive'],
  reopen: ['重新打开', 'Reopen'],
  outcome: ['处置结果（如：溯源劝诫情况）', 'Outcome (e.g. how the owner was talked to)'],
  reason: ['原因', 'Reason'],
  deadline: ['确认时限', 'Acknowledge by'],
  recipient: ['通知对象', 'Notified'],
  repeat: ['近期第 {n} 次', 'case {n} recently'],
  faceMatches: ['人脸比对线索', 'Face-match leads'],
  noFaceMatch: ['没有比对到已识别车牌的驾驶人', 'No earlier sighting of this driver with a read plate'],
  similarity: ['相似度', 'similarity'],
  owner: ['车主', 'owner'],
  masked: ['（已脱敏）', '(masked)'],
  language: ['English', '中文'],
  devices: ['设备', 'Devices'],
  device: ['设备', 'Device'],
  place: ['位置', 'Place'],
  status: ['状态', 'Status'],
  online: ['在线', 'online'],
  offlineState: ['离线', 'offline'],
  unknownState: ['未知', 'unknown'],
  lampFault: ['灯具故障', 'Lamp fault'],
  battery: ['电池', 'Battery'],
  lastAlarm: ['最近报警', 'Last alarm'],
  tickets: ['待处理工单', 'Open tickets'],
  noMap: ['未配置县域地图（gateway.yaml 中的 map.geojson）', 'No county map configured (map.geojson in gateway.yaml)'],
  noDevices: ['没有设备', 'No devices'],
  selfTestNow: ['立即自检', 'Self-test now'],
  selfTestSent: ['已下发自检指令，等待设备回报…', 'Sent; waiting for the box to report…'],
  selfTestTimeout: ['设备未在 60 秒内回报（可能离线）', 'No report within 60 s (is the box offline?)'],
  selfTests: ['自检记录', 'Self-tests'],
  passed: ['通过', 'passed'],
  failedTest: ['未通过', 'failed'],
  telemetry: ['近 24 小时运行数据', 'Last 24 hours'],
  noTelemetry: ['暂无运行数据', 'No telemetry yet'],
  temperature: ['温度', 'Temperature'],
  outbox: ['待发消息', 'Queued messages'],
  disk: ['剩余存储', 'Free disk'],
  lastSeen: ['最后在线', 'Last seen'],
  flags: ['告警标志', 'Flags'],
  reports: ['统计报表', 'Reports'],
  archive: ['车辆档案', 'Archive'],
  weeks: ['近 {n} 周', 'last {n} weeks'],
  casesPerWeek: ['每周案件数（按乡镇）', 'Cases per week, by township'],
  byPlace: ['按村居、周、类型', 'By village, week and kind'],
  week: ['周（周一）', 'Week (Monday)'],
  township: ['乡镇', 'Township'],
  village: ['村居', 'Village'],
  kind: ['类型', 'Kind'],
  cases: ['案件', 'Cases'],
  offenders: ['多次违法车辆（90 天内 ≥2 次）', 'Repeat offenders (2+ cases in 90 days)'],
  plate: ['车牌', 'Plate'],
  lastCase: ['最近一次', 'Last case'],
  seenAt: ['抓拍地点', 'Seen at'],
  showFull: ['显示完整车牌（将记入访问日志）', 'Show full plates (logged)'],
  downloadCsv: ['导出 CSV', 'Download CSV'],
  noData: ['暂无数据', 'No data yet'],
  search: ['搜索车牌、车主、驾驶人或村名', 'Search plate, owner, driver or village'],
  searchButton: ['搜索', 'Search'],
  noResults: ['没有找到', 'Nothing found'],
  vehicleClass: ['车型', 'Class'],
  driver: ['驾驶人', 'Driver'],
  phone: ['电话', 'Phone'],
  importTitle: ['导入档案（CSV）', 'Import the archive (CSV)'],
  importHelp: [
    '列：plate, class, owner_name, owner_phone, driver_name, township, village。先校验，确认无误再写入。',
    'Columns: plate, class, owner_name, owner_phone, driver_name, township, village. Checked first; written only when you confirm.',
  ],
  checkFile: ['校验', 'Check'],
  commit: ['确认导入', 'Import'],
  importChecked: ['共 {rows} 行，{valid} 行有效', '{rows} rows, {valid} valid'],
  importDone: ['已导入：新增 {added}，更新 {updated}', 'Imported: {added} added, {updated} updated'],
  line: ['第 {n} 行', 'line {n}'],
  accessLog: ['访问日志', 'Access log'],
  accessLogHelp: [
    '谁在何时查看了哪些个人信息（人脸、完整车牌、车主）',
    'Who viewed which personal data (faces, full plates, owners), and when',
  ],
  when: ['时间', 'When'],
  who: ['人员', 'Who'],
  role: ['角色', 'Role'],
  what: ['查看内容', 'What'],
  subject: ['对象', 'Subject'],
  archiveMatch: ['档案车辆', 'On file'],
} satisfies Record<string, [string, string]>;

export type WordKey = keyof typeof WORDS;

export function t(key: WordKey, vars: Record<string, string | number> = {}): string {
  const text = WORDS[key][lang.value === 'zh' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

const KINDS: Record<string, [string, string]> = {
  tricycle_passengers: ['三轮车违法载人', 'Tricycle carrying passengers'],
  minivan_overload: ['面包车超员', 'Minivan overloaded'],
  overload: ['超员', 'Overloaded'],
  presence: ['有车辆经过', 'Vehicle passing'],
};
export const kindLabel = (k: string): string => KINDS[k]?.[lang.value === 'zh' ? 0 : 1] ?? k;

const RESPONSES: Record<string, [string, string]> = {
  onsite: ['现场', 'On-site'],
  village: ['村居', 'Village'],
  police: ['警务', 'Police'],
};
export const responseLabel = (k: string): string => RESPONSES[k]?.[lang.value === 'zh' ? 0 : 1] ?? k;

const STATES: Record<string, [string, string]> = {
  pending: ['待发', 'pending'],
  sent: ['已通知', 'notified'],
  acknowledged: ['已确认', 'acknowledged'],
  done: ['已完成', 'done'],
  failed: ['失败', 'failed'],
  escalated: ['已升级', 'escalated'],
  waived: ['已免除', 'waived'],
};
export const stateLabel = (s: string): string => STATES[s]?.[lang.value === 'zh' ? 0 : 1] ?? s;

export const time = (iso: string): string =>
  new Date(iso).toLocaleString(lang.value === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
