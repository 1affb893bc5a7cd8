# crm 的报告（简体中文）：交接报告、客户组合、个人待办摘要、邮件与日程中
# 出现的每一个词。消息 id 与 en.ftl 相同（有测试检查）。金额以“万”计。

## 交接报告

handover-heading = 交接报告 — { $company } — { $since } 至 { $until }（截至 { $today }）
handover-title = 交接报告 — { $company } — { $since } 至 { $until }
handover-as-of = 截至 { $today }。金额单位：{ $currency }，“万”即一万。

handover-footer = 由 crm report handover 于 { $today } 生成。
summary-title = 概览
summary-unreadable = 无法读取、未计入的文件
summary-pending = 待交接人员
summary-overdue = 交接已逾期
summary-changes = 归属变更
summary-unacknowledged = 交接未确认
summary-no-backup = 重点客户无备份
summary-sabotage = 破坏迹象
summary-self-assigned = 经理分给自己
summary-needs-action = 需处理
md-summary-item = { $label } **{ $count }**

section-unreadable = 0. 无法读取的文件（以下各节均未计入）
section-pool-released = 9a. 本期放入公海的客户
section-pool-claimed = 9b. 本期从公海领取或分配的客户
section-pool-limits = 9c. 达到公海上限的人员
section-pool-bouncing = 9d. 在公海与销售之间反复的客户（90 天内放入公海两次及以上）
section-pool-oldest = 9e. 在公海中最久的客户
section-pending = 1. 待交接：离职人员名下仍有客户
section-changes = 2. 本期归属变更
section-self-assigned = 2b. 经理分配给自己的客户
section-unacknowledged = 3. 未确认的交接
section-no-backup = 4. 没有有效备份的重点客户
section-stale = 5a. 长期未跟进的客户
section-coverage = 5b. 覆盖率（近 { $days } 天内跟进过的客户）
section-concentration = 6. 集中度
section-exposure = 7. 整个区域同时离职的风险
section-sabotage = 8. 破坏迹象
section-touches-for-others = 8b. 以他人名义记录的跟进

empty-unreadable = 所有文件均可读取。
empty-pool-released = 本期没有客户放入公海。
empty-pool-claimed = 本期没有客户从公海领取。
empty-pool-limits = 没有人达到领取上限或持有上限。
empty-pool-bouncing = 没有客户两次放入公海。
empty-pool-oldest = 公海为空。
pool-of-limit = { $count } / { $limit }
pool-reason-no-touch = 长期未跟进
pool-due-by-rules = 按公海规则到期
pool-reason-unconverted = 未转化
pool-reason-manual = 手动收回
pool-reason-returned = 负责人主动退回
empty-pending = 没有离职人员名下仍有客户。
empty-changes = 本期没有归属变更。
empty-self-assigned = 没有经理把客户分配给自己。
empty-unacknowledged = 近期的交接都已由新负责人跟进。
empty-no-backup = 每个重点客户都有在职的备份负责人。
empty-stale = 没有长期未跟进的客户。
empty-customers = 没有客户。
empty-exposure = 没有哪个区域有在职员工。
empty-sabotage = 没有大量修改联系人或删除客户的情况。
empty-touches-for-others = 所有跟进都由本人记录。

pending-no-last-day = 已逾期（未记录离职日期）
pending-overdue = 已逾期 { $days } 天
pending-days-left = 还剩 { $days } 天
flag-above-limit = 超出上限
never = 从未
list-and-more = { $list } 等（另有 { $count } 个）
no-region = （无区域）
share-owner = 负责人
share-region = 区域

backup-missing = 未设置
backup-same-as-owner = 与负责人相同
backup-departed = 已离职
backup-unknown = 不在员工名单中

signature-good = 有效
signature-none = 无签名
signature-bad = 签名无效
signature-unknown-key = 未知密钥
signature-revoked = 密钥已吊销

action-add = 新增
action-reassign = 转移
action-remove = 删除
action-release = 放入公海
action-claim = 领取
action-assign = 分配

status-active = 在职
status-departed = 已离职
status-pool = 公海
status-unknown = 未知

chart-value-per-owner = 各负责人的客户金额
chart-changes-per-week = 每周归属变更

warning-title = 请先阅读：本报告所依据的数据有问题

## 邮件

mail-subject-handover = 交接报告 — { $company } — { $until }：逾期 { $overdue }，未确认 { $unacknowledged }，待交接 { $pending }
mail-subject-warning = 警告，请先阅读：

## 列

col-action = 操作
col-actor = 操作人
col-backup = 备份
col-by = 维度
col-claimed = 已领取
col-claimed-in-the-claim-period = 周期内领取
col-commit = 提交
col-commits = 提交
col-contacts-changed = 改动的联系人
col-coverage = 覆盖率
col-customer = 客户
col-customers = 客户数
col-customers-orphaned = 将无人负责的客户
col-customers-removed = 删除的客户
col-date = 日期
col-days = 天数
col-days-without-a-touch = 未跟进天数
col-deadline = 截止日期
col-due = 即将到期
col-file = 文件
col-held-by-now = 当前持有人
col-flag = 标记
col-from = 从
col-handed-over = 交接日期
col-key = 重点客户
col-key-accounts = 重点客户
col-kind = 类型
col-last-touch = 最近跟进
col-left = 离职日期
col-logged-by = 记录人
col-name = 名称
col-new-owner = 新负责人
col-next-step = 下一步
col-owned = 持有客户
col-owner = 负责人
col-people = 人员
col-person = 人员
col-position = 行:列
col-problem = 问题
col-released = 放入日期
col-released-from = 原负责人
col-releases = 放入次数
col-reason = 原因
col-region = 区域
col-share-of-key = 重点客户占比
col-share-of-value = 金额占比
col-signature = 签名
col-stale = 长期未跟进
col-status = 状态
col-still-owns = 仍负责的客户
col-to = 到
col-touch-by = 跟进人
col-touched = 已跟进
col-value = 金额
col-which = 哪些客户
col-why = 原因

## 待办与摘要

kind-overdue = 逾期
kind-release = 即将收回
kind-handover = 待确认交接
kind-due = 到期
kind-stale = 未跟进

why-separator = {"；"}
why-overdue = 逾期 { $days } 天
why-due-today = 今天到期
why-due-tomorrow = 明天到期
why-due-in = { $days } 天后到期
when-today = 今天
when-yesterday = 昨天
when-days-ago = { $days } 天前
when-tonight = 今晚
when-tomorrow-night = 明晚
when-in-days = { $days } 天后
why-release-touch = { $when }收回公海，跟进即可保留
why-release-convert = { $when }收回公海，转化即可保留
why-manager-touch = { $when }转给 { $to }（不进公海），跟进即可保留
why-manager-convert = { $when }转给 { $to }（不进公海），转化即可保留
why-handover-from = { $when }从 { $from } 交接过来，此后未跟进
why-assigned-from-pool = { $when }从公海分配给你，此后未跟进
why-handover = { $when }交接过来，此后未跟进
why-no-touch = { $days } 天未跟进
why-never-touched-in = 合作 { $days } 天从未跟进
why-never-touched = 从未跟进
why-key-account = 重点客户，{ $why }

digest-title = { $name }（{ $person }）的待办：{ $today }
digest-as-of = 按紧急程度排列。“到期”指 { $until } 前到期。
digest-section-overdue = 已逾期的下一步
digest-section-release = 即将被收回的客户
digest-section-handover = 待确认的交接
digest-section-due = { $until } 前到期的下一步
digest-section-stale = 长期未跟进的客户
digest-count-overdue = 已逾期
digest-count-release = 即将收回
digest-count-handover = 待确认交接
digest-count-due = 到期（{ $until } 前）
digest-count-stale = 长期未跟进
digest-nothing = 暂无待办：没有逾期或 { $until } 前到期的下一步，没有待确认的交接，也没有长期未跟进的客户。
digest-more-stale = ……另有 { $count } 个长期未跟进的客户：crm agenda --for { $person }
digest-footer = 由 crm report digest 于 { $today } 生成。完整清单：crm agenda --for { $person }
mail-subject-digest = 你的待办（{ $today }）：逾期 { $overdue }，待确认交接 { $handovers }，到期 { $due }，长期未跟进 { $stale }
mail-subject-digest-release = 你的待办（{ $today }）：即将收回 { $release }，逾期 { $overdue }，待确认交接 { $handovers }，到期 { $due }，长期未跟进 { $stale }

agenda-nothing = { $name }（{ $person }）暂无待办：没有逾期或 { $until } 前到期的下一步，没有待确认的交接，也没有长期未跟进的客户。
agenda-summary = { $name }（{ $person }）{ $today }：逾期 { $overdue }，待确认交接 { $handovers }，{ $until } 前到期 { $due }，长期未跟进 { $stale }
agenda-summary-release = { $name }（{ $person }）{ $today }：即将收回 { $release }，逾期 { $overdue }，待确认交接 { $handovers }，{ $until } 前到期 { $due }，长期未跟进 { $stale }
