"""Federation's page words (Chinese first, English second), said `t("federation.<key>")`.
Some keys are made at run time: message types ("type_<type>"), states ("state_<state>"), log
kinds ("kind_<kind>"), directions ("dir_<direction>") and peer health ("health_<health>")."""
from __future__ import annotations

WORDS = {
    "zh": {
        "menu_admin": "跨县互联", "menu_flows": "跨县流动统计", "menu_mine": "跨县请求",
        "admin_title": "跨县互联：互联县、报文与日志", "flows_title": "与互联县交换的流动统计",
        "mine_title": "关于我的跨县请求",
        "peers": "互联县", "peer": "互联县", "county_code": "县级代码", "address": "地址",
        "fingerprint": "公钥指纹", "health": "连通状态", "queued": "待发", "failed": "发送失败",
        "last_error": "最近错误", "down_since": "自 {t} 起无法送达", "no_peers":
        "尚未添加互联县。请用 anju peers add 添加对方县提供的公钥。",
        "health_new": "尚未通信", "health_ok": "正常", "health_trouble": "有失败，重试中",
        "health_down": "无法送达",
        "pending": "待发与失败的报文", "no_pending": "没有待发或失败的报文。",
        "log": "报文日志", "no_log": "日志为空。", "filter": "筛选", "all": "全部",
        "seq": "序号", "at": "时间", "direction": "方向", "kind": "类别", "type": "报文类型",
        "message_id": "报文编号", "status": "状态", "reason": "拒绝原因", "attempts": "尝试次数",
        "created_at": "生成时间", "delivered_at": "送达时间", "purpose": "目的",
        "dir_in": "收到", "dir_out": "发出",
        "kind_message": "报文", "kind_receipt": "回执", "kind_refusal": "拒收",
        "type_stats": "月度流动统计", "type_continuity": "服务接续请求", "type_arrival": "到达通知",
        "state_queued": "待发", "state_delivered": "已送达", "state_failed": "失败",
        "month": "月份", "origin": "户籍地乡镇", "destination": "现居住乡镇",
        "arrivals": "流入", "departures": "流出", "stock": "在住",
        "suppressed": "＜16（不公布）", "received": "收到的统计", "sent": "发出的统计",
        "no_flows": "尚无与互联县交换的统计。",
        "flows_note": "统计只含发布后的数字：1 至 15 人的格子不公布，并作补充隐藏，无法相减推算。",
        "mine_note": "其他县为办理您的服务（如社保转移、子女学籍、核实待遇停发）发来的请求或收到的答复。"
                     "每次查阅都记在“谁查看了我的信息”中。",
        "no_mine": "暂无关于您的跨县请求。",
        # lines on the resident's registrations (anju.federation.notes)
        "note_arrived_sent": "已按户籍管理规定向您的户籍地{peer}发送到达通知（{at}）",
        "note_arrived_pending": "将按户籍管理规定向您的户籍地{peer}发送到达通知（待发送）",
        "note_ended_sent": "已向您的户籍地{peer}发送离开通知（{at}）",
        "note_ended_pending": "将向您的户籍地{peer}发送离开通知（待发送）",
        # the panel on the monitoring dashboard
        "panel_title": "与互联县交换的流动统计",
        "panel_note": "各互联县最近一个月的统计；人数只计公布的格子，不公布的格子另计。",
        "panel_received": "收到", "panel_sent": "发出",
        "panel_cell": "{month}：流入 {arrivals} 人（公布的格子），不公布 {withheld} 格",
        "panel_link": "查看全部跨县流动统计",
    },
    "en": {
        "menu_admin": "Peer counties", "menu_flows": "Cross-county flows",
        "menu_mine": "Cross-county requests",
        "admin_title": "Peer counties: peers, messages and the log",
        "flows_title": "Flow statistics exchanged with peer counties",
        "mine_title": "Cross-county requests about me",
        "peers": "Peer counties", "peer": "Peer", "county_code": "County code",
        "address": "Address", "fingerprint": "Key fingerprint", "health": "Reachability",
        "queued": "Queued", "failed": "Failed", "last_error": "Last error",
        "down_since": "unreachable since {t}",
        "no_peers": "No peer counties yet. Add one with the public key it sent you "
                    "(anju peers add).",
        "health_new": "not contacted yet", "health_ok": "reachable",
        "health_trouble": "failing, retrying", "health_down": "unreachable",
        "pending": "Queued and failed messages", "no_pending": "Nothing queued or failed.",
        "log": "Message log", "no_log": "The log is empty.", "filter": "Filter", "all": "All",
        "seq": "No.", "at": "Time", "direction": "Direction", "kind": "Kind", "type": "Type",
        "message_id": "Message", "status": "Status", "reason": "Reason refused",
        "attempts": "Attempts", "created_at": "Created", "delivered_at": "Delivered",
        "purpose": "Purpose", "dir_in": "received", "dir_out": "sent",
        "kind_message": "message", "kind_receipt": "receipt", "kind_refusal": "refused",
        "type_stats": "monthly flow statistics", "type_continuity": "service continuity",
        "type_arrival": "arrival notice",
        "state_queued": "queued", "state_delivered": "delivered", "state_failed": "failed",
        "month": "Month", "origin": "Township of registration",
        "destination": "Township of residence", "arrivals": "Arrivals",
        "departures": "Departures", "stock": "Living here", "suppressed": "<16 (withheld)",
        "received": "Received", "sent": "Sent", "no_flows": "No statistics exchanged yet.",
        "flows_note": "Released figures only: cells of 1 to 15 people are withheld, with "
                      "complementary suppression so none can be recovered by subtraction.",
        "mine_note": "Requests other counties sent about you, or answers they gave, for a "
                     "service of yours (social insurance, a child's school record, a benefit "
                     "stopping). Each is also listed under \"who accessed my data\".",
        "no_mine": "No cross-county requests about you.",
        # lines on the resident's registrations (anju.federation.notes)
        "note_arrived_sent": "An arrival notice was sent to {peer}, your place of household "
                             "registration, as the registration rules require ({at})",
        "note_arrived_pending": "An arrival notice to {peer}, your place of household "
                                "registration, is waiting to be sent",
        "note_ended_sent": "A notice that you left was sent to {peer}, your place of household "
                           "registration ({at})",
        "note_ended_pending": "A notice that you left, to {peer}, your place of household "
                              "registration, is waiting to be sent",
        # the panel on the monitoring dashboard
        "panel_title": "Flow statistics exchanged with peer counties",
        "panel_note": "The latest month with each peer county; people counted in published "
                      "cells only, withheld cells counted apart.",
        "panel_received": "Received", "panel_sent": "Sent",
        "panel_cell": "{month}: {arrivals} arrivals (published cells), {withheld} cells withheld",
        "panel_link": "All cross-county flow statistics",
    },
}
