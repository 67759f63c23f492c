"""The demo's scenarios: each a task's timeline in days relative to today, and the words its steps use."""
from datetime import time

# Days relative to today. milestones: (due, done or None); reports: (day, percent done);
# extensions: (asked, new deadline, decided or None, outcome[, deadline granted when earlier than asked]);
# closeouts: (asked, decided or None, outcome). The last close-out request answers for the milestones
# still open (closeout_milestones: index -> None for "done now", or the reason it is not) and for a
# pending extension (closeout_extension: "withdraw" or "wait").
SCENARIOS = {
    "draft": {"created": -2, "deadline": 60},
    "assigned_new": {"created": -6, "dispatched": -3, "deadline": 57},
    "assigned_stale": {"created": -23, "dispatched": -20, "deadline": 40},
    "on_track": {"created": -50, "dispatched": -49, "accepted": -47, "deadline": 45,
                 "milestones": [(-30, -31), (15, None), (40, None)], "reports": [(-40, 20), (-25, 45), (-6, 60)]},
    "due_soon": {"created": -80, "dispatched": -79, "accepted": -77, "deadline": 4,
                 "milestones": [(-50, -51), (3, None)], "reports": [(-60, 30), (-30, 60), (-4, 85)]},
    "overdue": {"created": -90, "dispatched": -89, "accepted": -86, "deadline": -9,
                "milestones": [(-60, -61), (-20, -22), (-9, None)], "reports": [(-70, 20), (-45, 40), (-10, 55)],
                "urges": [-5, -2]},
    "overdue_long": {"created": -120, "dispatched": -118, "accepted": -110, "deadline": -30,
                     "milestones": [(-80, -81), (-50, None), (-30, None)],
                     "reports": [(-95, 15), (-60, 30), (-40, 35)], "urges": [-25, -15, -3]},
    "milestone_late": {"created": -60, "dispatched": -59, "accepted": -57, "deadline": 50,
                       "milestones": [(-35, -36), (-6, None), (30, None)], "reports": [(-45, 25), (-8, 40)]},
    "silent": {"created": -70, "dispatched": -69, "accepted": -66, "deadline": 35,
               "milestones": [(-40, -41), (20, None)], "reports": [(-50, 20), (-19, 35)]},
    "extended": {"created": -100, "dispatched": -99, "accepted": -96, "deadline": -8,
                 "milestones": [(-60, -61), (-25, -26)], "reports": [(-80, 20), (-50, 45), (-20, 55), (-3, 70)],
                 "extensions": [(-14, 30, -11, "approved", 25)]},  # granted 5 days less than asked
    "extension_pending": {"created": -75, "dispatched": -74, "accepted": -72, "deadline": 6,
                          "milestones": [(-30, -31), (5, None)], "reports": [(-50, 30), (-5, 65)],
                          "extensions": [(-2, 36, None, "pending")]},
    "reopened": {"created": -85, "dispatched": -84, "accepted": -81, "deadline": 20,
                 "milestones": [(-50, -51), (-25, -26)], "reports": [(-60, 40), (-24, 95), (-7, 98)],
                 "closeouts": [(-20, -17, "rejected")]},
    "review": {"created": -80, "dispatched": -79, "accepted": -77, "deadline": 10,
               "milestones": [(-50, -51), (-10, -11), (8, None)], "reports": [(-55, 40), (-30, 80), (-4, 100)],
               "extensions": [(-8, 40, None, "pending")], "closeouts": [(-3, None, "pending")],
               "closeout_milestones": {2: None}, "closeout_extension": "withdraw"},
    "review_late": {"created": -95, "dispatched": -94, "accepted": -90, "deadline": -6,
                    "milestones": [(-60, -61), (-6, None)], "reports": [(-60, 40), (-20, 80), (-3, 95)],
                    "urges": [-4], "extensions": [(-4, 20, None, "pending")], "closeouts": [(-2, None, "pending")],
                    "closeout_milestones": {1: "群众回访因汛期推迟，已安排专人于下周完成并补报回访记录。"},
                    "closeout_extension": "wait"},
    "closed_on_time": {"created": -150, "dispatched": -149, "accepted": -146, "deadline": -45,
                       "milestones": [(-100, -101), (-70, -72)], "reports": [(-120, 30), (-90, 70), (-62, 100)],
                       "closeouts": [(-60, -55, "approved")]},
    "closed_late": {"created": -160, "dispatched": -158, "accepted": -152, "deadline": -50,
                    "milestones": [(-110, -111), (-60, -61)],
                    "reports": [(-130, 20), (-100, 50), (-58, 100), (-38, 100)], "urges": [-45],
                    "closeouts": [(-55, -52, "rejected"), (-36, -33, "approved")]},
    "closed_extended": {"created": -140, "dispatched": -139, "accepted": -137, "deadline": -70,
                        "milestones": [(-100, -101), (-75, -76)], "reports": [(-130, 25), (-100, 60), (-45, 100)],
                        "extensions": [(-78, -40, -75, "approved")], "closeouts": [(-42, -39, "approved")]},
    "cancelled": {"created": -40, "dispatched": -39, "deadline": 50, "cancelled": -30},
    "cancelled_active": {"created": -70, "dispatched": -69, "accepted": -67, "deadline": 40,
                         "milestones": [(-40, -41), (20, None)], "reports": [(-50, 20)], "cancelled": -20},
    # Corrections and returns (demo_corrections): returned before 签收 and waiting for the office; returned by
    # the unit first dispatched to ("moved_from") and reassigned to the spec's lead; a deadline the office moved.
    "returned": {"created": -6, "dispatched": -4, "returned": -2, "deadline": 57},
    "reassigned": {"created": -50, "dispatched": -49, "returned": -48, "reassigned": -48, "accepted": -47,
                   "deadline": 45, "milestones": [(-30, -31), (15, None), (40, None)],
                   "reports": [(-40, 20), (-25, 45), (-6, 60)]},
    "adjusted": {"created": -50, "dispatched": -49, "accepted": -47, "deadline": 45, "adjustments": [(-20, 75)],
                 "milestones": [(-30, -31), (15, None), (40, None)], "reports": [(-40, 20), (-25, 45), (-6, 60)]},
}
# Local time of each kind of step, so one day's steps come in a believable order.
HOURS = {
    "created": time(9), "urged": time(9, 30), "extension_requested": time(10), "closeout_requested": time(10),
    "dispatched": time(10, 30), "milestone_done": time(11), "accepted": time(15), "milestone_planned": time(15, 20),
    "cancelled": time(15, 30), "returned": time(11, 30), "reassigned": time(14, 30), "adjusted": time(14),
    "reported": time(16), "extension_decided": time(16, 30), "closeout_decided": time(16, 30),
    "co_reported": time(17),
}
NOTIFY_DAYS = 30  # older steps left no message in the demo inboxes
READ_AFTER_DAYS = 7  # messages older than this have been read

MILESTONE_TITLES = ("制定整改方案，明确责任分工和时间节点", "完成阶段性整改任务并报送进展",
                    "全面完成整改，提交销号材料")
DISPATCH_NOTE = "请于3个工作日内签收，并按要求制定整改方案、明确时间节点。"
REPORT_TEXTS = (
    (25, "已召开专题会议研究部署，制定整改工作方案，明确分管领导、责任股室和完成时限。"),
    (50, "整改工作有序推进，已完成现场摸排和问题清单梳理，正在组织实施，累计完成约{pct}%。"),
    (80, "主体工作推进过半，单位每周调度一次，累计完成约{pct}%，剩余任务已倒排工期。"),
    (99, "整改已基本完成，正在开展自查验收和佐证材料整理。"),
    (100, "整改任务已全部完成，经单位自查验收合格，相关佐证材料已整理上传。"),
)
REWORK_TEXT = "已按销号审核意见补充整改前后对比照片和群众回访记录，正在完善佐证材料。"
CO_REPORT_TEXT = "{unit}按照职责分工配合推进，已提供相关数据资料并参加联合现场检查。"
MILESTONE_NOTE = "已按节点完成，相关材料已报送。"
CLOSEOUT_SUMMARY = "已按整改方案完成全部整改措施，经自查验收合格，佐证材料已上传，申请销号。"
PERCENT_REASON = "主体整改已全部完成，剩余群众回访和资料归档工作不影响整改成效，将在审核期间完成。"
CLOSEOUT_MILESTONE_NOTE = "随销号申请确认完成，验收记录已上传。"
EXTENSION_WITHDRAWN = "单位申请销号时撤回。"
# The evidence each close-out request carries, and the photo the last progress report before it came with.
CLOSEOUT_FILES = ("整改验收报告.pdf", "整改后现场照片.png")
REPORT_PHOTO = "整改进展现场照片.png"
DECISION_NOTES = {
    "approved": "经审核，整改措施落实到位，佐证材料齐全，同意销号。",
    "approved_late": "整改已完成，同意销号；该任务超期完成，纳入月度通报。",
    "rejected": "佐证材料不完整，缺少整改前后对比照片和群众回访记录，请补充后重新申请。",
}
EXTENSION_REASON = "受施工条件和项目审批进度影响，原定时限内无法完成全部整改，申请延期。"
EXTENSION_NOTE = "同意延期，请按新的时间节点倒排工期，确保按期完成。"
URGE_TEXTS = (
    "该任务已超过整改时限，请于3个工作日内报送整改进展及情况说明。",
    "再次催办：请单位主要负责人亲自调度，加快整改进度。",
    "第三次催办：该任务严重滞后，已报分管县领导，将在月度通报中点名。",
)
# Inbox messages of the demo: who gets one for which step, and its title.
LEAD_HEAD_EVENTS = {
    "dispatched": "新任务待签收：{task}", "urged": "催办：{task}", "closeout_approved": "销号申请已通过：{task}",
    "closeout_rejected": "销号申请被退回：{task}", "extension_approved": "延期申请已批准：{task}",
    "cancelled": "任务已撤销：{task}",
}
CO_HEAD_EVENTS = {"dispatched": "配合任务已下发：{task}"}  # co-units are told, never asked to accept
OFFICE_EVENTS = {
    "accepted": "任务已签收：{task}", "closeout_requested": "销号申请待审核：{task}",
    "extension_requested": "延期申请待审核：{task}", "extension_withdrawn": "延期申请已撤回：{task}",
}
