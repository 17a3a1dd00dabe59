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
  filterAll: ['全部', 'All'],
  alertsToggle: ['新报警时响铃并弹出通知', 'Chime and notify on a new alarm'],
  newAlarm: ['新报警 {n} 条', '{n} new alarm(s)'],
  filterOpen: ['处置中', 'Open'],
  filterOverdue: ['已超时', 'Overdue'],
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
  addPhoto: ['附现场照片（可选）', 'Add a photo (optional)'],
  outcomePhoto: ['现场照片', 'Photo of the outcome'],
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
  mapLabel: ['县域地图', 'County map'],
  mapFlagged: ['在线，有告警', 'online, with a flag'],
  mapOutside: ['坐标在县界之外', 'position outside the county'],
  mapStrays: [
    '{n} 台设备的坐标在县界之外，画在边界上（请检查其 GPS 或登记的经纬度）：{ids}',
    '{n} boxes lie outside the county outline and are drawn on its edge (check their GPS or registered position): {ids}',
  ],
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
  updates: ['远程升级', 'Updates'],
  decidedBy: ['识别模型', 'Decided by'],
  builtInModel: [
    '内置通用模型（COCO 训练，无三轮车类别，实拍场景车辆检出约六成），请人工核对；县里可换用自己训练的模型',
    'the built-in general model (trained on COCO, no tricycle class, finds about 6 in 10 vehicles on real scenes): check by eye; a county can drop in its own',
  ],
  updatesHelp: [
    '按批次推送的设备升级（程序、识别模型、配置模板）：先灰度，全部正常后再推送其余设备。',
    'Updates rolled out in stages (agent, models, config template): the canaries first, the rest once they are all healthy.',
  ],
  noRollouts: ['暂无升级批次（gateway ota rollout 创建）', 'No rollouts yet (gateway ota rollout creates one)'],
  rollout: ['批次', 'Rollout'],
  bundle: ['升级包', 'Bundle'],
  stage: ['阶段', 'Stage'],
  startedBy: ['发起人', 'Started by'],
  pause: ['暂停', 'Pause'],
  resume: ['继续', 'Resume'],
  cancelRollout: ['取消批次', 'Cancel'],
  canaryStage: ['灰度', 'canary'],
  restStage: ['其余', 'rest'],
  archiveLead: ['线索（未确认，不作车主派发）', 'Lead (not confirmed: not routed to this owner)'],
  plateUncertain: ['存疑', 'unsure'],
  plateUncertainHelp: [
    '标出的字符识别把握不足：此车牌仅作线索，请人工核对',
    'The marked characters were read unsure: this plate is a lead for a person to check',
  ],
} satisfies Record<string, [string, string]>;

export type WordKey = keyof typeof WORDS;

export function t(key: WordKey, vars: Record<string, string | number> = {}): string {
  const text = WORDS[key][lang.value === 'zh' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

const OTA_STATES: Record<string, [string, string]> = {
  canary: ['灰度中', 'canary'],
  rolling: ['推送中', 'rolling'],
  paused: ['已暂停', 'paused'],
  done: ['已完成', 'done'],
  halted: ['已中止', 'halted'],
  cancelled: ['已取消', 'cancelled'],
  waiting: ['等待', 'waiting'],
  pending: ['已下发', 'pending'],
  downloading: ['下载中', 'downloading'],
  installed: ['已安装', 'installed'],
  healthy: ['正常', 'healthy'],
  rolled_back: ['已回滚', 'rolled back'],
  failed: ['失败', 'failed'],
};

/** A rollout's or a box's update state in the user's language. */
export const otaStateLabel = (s: string): string => OTA_STATES[s]?.[lang.value === 'zh' ? 0 : 1] ?? s;

const KINDS: Record<string, [string, string]> = {
  tricycle_passengers: ['三轮车违法载人', 'Tricycle carrying passengers'],
  minivan_overload: ['面包车超员', 'Minivan overloaded'],
  overload: ['超员', 'Overloaded'],
  no_helmet: ['未戴头盔', 'No helmet'],
  presence: ['有车辆经过', 'Vehicle passing'],
  fault: ['设备故障', 'Device fault'],
  tamper: ['设备被破坏', 'Tampering'],
  weather: ['恶劣天气', 'Severe weather'],
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

/** The boxes' health flags (telemetry), as a technician reads them. */
const FLAGS: Record<string, [string, string]> = {
  lamp_fault: ['灯具故障', 'lamp fault'],
  light_offline: ['警示灯控制器离线', 'light controller offline'],
  speaker_offline: ['喇叭离线', 'speaker offline'],
  sensor_offline: ['传感器离线', 'sensor offline'],
  sensor_stuck: ['传感器卡滞', 'sensor stuck'],
  camera_offline: ['摄像头离线', 'camera offline'],
  low_battery: ['电池电量低', 'battery low'],
  solar_low: ['太阳能充电不足', 'solar charge low'],
  disk_low: ['存储空间不足', 'disk low'],
  outbox_dropping: ['离线消息过多，开始丢弃', 'outbox full, dropping'],
  overheat: ['温度过高', 'overheating'],
  clock_unsynced: ['时钟未校准', 'clock not synchronised'],
  auth_refused: ['登录被拒绝', 'log-in refused'],
};
export const flagLabel = (f: string): string => FLAGS[f]?.[lang.value === 'zh' ? 0 : 1] ?? f;

/**
 * The gateway writes its timeline notes and errors in English (logs and the API are for
 * engineers too); the Chinese page shows the ones it knows in Chinese. A note a person typed, or
 * one not listed here, is shown as written.
 */
const SERVER_TEXTS: Array<[RegExp, string]> = [
  [/^box confirmed lights and voice; neighbours: (.+)$/, '设备已确认灯光和语音；邻近设备：$1'],
  [/^box confirmed lights and voice$/, '设备已确认灯光和语音'],
  [
    /^(set_light|play_clip|set_light \+ play_clip) to (\S+); also (.+) on the same road$/,
    '已向 $2 下发警示（$1）；同路段还有 $3',
  ],
  [/^(set_light|play_clip|set_light \+ play_clip) to (\S+)$/, '已向 $2 下发警示（$1）'],
  [/^(\S+) to (.+) \((\d+) attempts?\)$/, '已通过 $1 通知 $2（尝试 $3 次）'],
  [/^(\S+) \((\d+) attempts?\)$/, '已通过 $1 发出通知（尝试 $2 次）'],
  [/^(\S+): in a digest of (\d+) \(rate limit\)$/, '$1：限流，合并为 $2 条的汇总通知'],
  [/^not acknowledged in time; no escalation target in the plan$/, '超时未确认；预案没有设升级对象'],
  [/^not acknowledged in time; escalated to (\S+)$/, '超时未确认，已升级至 $1'],
  [/^not acknowledged in time; escalation to (\S+) failed: (.+)$/, '超时未确认，升级至 $1 失败：$2'],
  [/^acknowledged with the outcome$/, '记录结果时一并确认接收'],
  [/^plan asks for no on-site action$/, '预案没有现场处置'],
  [/^the box did not confirm in time$/, '设备未按时确认'],
  [/^an outcome is needed/, '请先填写处置结果（做了什么）'],
  [/^a waiver needs a reason$/, '免除需要填写原因'],
  [/^the photo: /, '照片无法使用（须为完整的 JPEG，不超过 4 MB）：'],
  [/^a photo goes with an outcome/, '照片只能随处置结果一起提交'],
  [/^reopening needs a reason$/, '重新打开需要填写原因'],
  [/^the (\w+) response is (\w+); it can go to .+, not (\w+)$/, '当前状态不允许此操作'],
  [/^the (\w+) role may not act on (\w+) responses$/, '您的角色不能处理此类响应'],
  [/^the gateway is still starting$/, '系统正在启动，请稍候再试'],
  [/^one OCR confusion \(position (\d+): read (\S+), archive (\S+)\)$/, '第 $1 位识别为 $2，档案为 $3（常见识别混淆）'],
  [/^one character differs \(position (\d+): read (\S+), archive (\S+)\)$/, '第 $1 位识别为 $2，档案为 $3'],
];
export function serverText(s: string): string {
  if (lang.value !== 'zh') return s;
  for (const [re, zh] of SERVER_TEXTS) if (re.test(s)) return s.replace(re, zh);
  return s;
}

/** Minutes left before a deadline, or overdue by: 剩余 12 分钟 / 已超时 5 分钟. */
export function timeLeft(deadline: string, now = Date.now()): { text: string; overdue: boolean } {
  const min = Math.round((new Date(deadline).getTime() - now) / 60_000);
  const span = (m: number) =>
    m >= 120
      ? lang.value === 'zh'
        ? `${Math.round(m / 60)} 小时`
        : `${Math.round(m / 60)} h`
      : lang.value === 'zh'
        ? `${m} 分钟`
        : `${m} min`;
  if (min < 0)
    return { text: lang.value === 'zh' ? `已超时 ${span(-min)}` : `overdue by ${span(-min)}`, overdue: true };
  return { text: lang.value === 'zh' ? `剩余 ${span(min)}` : `${span(min)} left`, overdue: false };
}
