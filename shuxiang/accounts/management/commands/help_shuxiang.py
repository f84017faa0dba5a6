from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

USAGE = """书香 Shuxiang — 中小学图书馆系统

用法: shuxiang <命令> [选项]      每个命令都接受 --help

  init                         建立/升级数据库，馆藏地点与中图法分类表
  demo                         载入演示学校（数据库为空时）
  serve [--host H] [--port P]  启动网站与 API（默认 http://127.0.0.1:8000）
                               （同时运行后台任务；--no-worker 不运行）
  sip2 [--host H] [--port P] [--encoding utf-8|gbk]
                               为自助借还机提供 SIP2 服务（默认 127.0.0.1:6001）
  import clc FILE              重新载入中图法分类表（CSV: code,name,parent_code）
  import patrons FILE [--dry-run] [--skip-bad]
                               导入花名册（.xlsx/.xls/.csv；学生按学号、教职工按工号对应）
  import marc FILE [--flavour auto|marc21|cnmarc] [--encoding auto|utf-8|gb18030|marc-8]
                  [--duplicates skip|merge|overwrite] [--location CODE] [--dry-run] [--skip-bad]
                               导入 MARC（ISO 2709 或 MARCXML；CNMARC 或 MARC21）及其复本
  import books FILE [--duplicates skip|merge|overwrite] [--location CODE] [--dry-run] [--skip-bad]
                               导入 Excel 图书登记表（.xlsx/.xls/.csv，每行一册）
  export marc [--flavour cnmarc|marc21] [--format iso2709|marcxml] [--encoding utf-8|gbk]
              [--class 前缀] [--batch ID|last] [--from 日期 --to 日期] [--barcodes FILE]
              [--output FILE]
                               导出 MARC，每册一个馆藏字段
  export books [--output FILE.xlsx] [--class 前缀] [--location CODE] [--batch ID|last] …
                               导出图书登记表（每册一行，与导入的列相同）
  export labels --kind spine|barcode|combined [--sheet 规格] [--start N]
                (--from B --to B | --batch ID|last | --barcodes FILE | --class 前缀 |
                 --received-from D …) --output F.pdf
                               打印书标、条码标签或二合一标签
  export cards [--class 5-2] [--cards FILE] [--since 日期] --output FILE.pdf
                               打印借书证
  export notices [--class 5-2] [--date 日期] --output FILE.pdf
                               打印催还通知单（每班一页起，可裁剪）
  report term [--from 日期 --to 日期] [--format json|md|xlsx|docx] [--output FILE] [--compare]
                               学期统计（默认本学期）：人均借书、覆盖率、各班情况……
  reindex                      重建检索索引
  backup FILE | backup --dir DIR [--keep 14]
                               备份整个图书馆（运行中也可；--dir 每日备份并保留最近 N 份）
  restore FILE [--force]       从备份恢复（数据库已有数据时须加 --force）
  overdue [--date YYYY-MM-DD]  每日：过期预约、生成催还单（供定时任务调用）
  user add USERNAME --role ROLE [--password P] [--card CARD]
                               添加用户（ROLE: librarian assistant homeroom teacher
                               student viewer kiosk；--card 关联到该借书证的读者）
  user unlock USERNAME         解除登录锁定（连续输错密码后）
  kiosk NAME [--encoding utf-8|gbk|server] [--error-detection on|off] [--location 位置]
                               查看/设置自助借还机账号的 SIP2 字符集、校验和与位置
  token USERNAME [--list | --revoke PREFIX|all]
                               为用户生成新的 API 令牌；列出或吊销其令牌
  manage …                     任意 Django 管理命令
"""


class Command(BaseCommand):
    help = "List the shuxiang commands."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(USAGE)
