from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

USAGE = """书香 Shuxiang — 中小学图书馆系统

用法: shuxiang <命令> [选项]      每个命令都接受 --help

  init                         建立/升级数据库，馆藏地点与中图法分类表
  demo                         载入演示学校（数据库为空时）
  serve [--host H] [--port P]  启动网站与 API（默认 http://127.0.0.1:8000）
                               （同时运行后台任务；--no-worker 不运行）
  import clc FILE              重新载入中图法分类表（CSV: code,name,parent_code）
  import patrons FILE [--dry-run] [--skip-bad]
                               导入花名册（.xlsx/.xls/.csv；学生按学号、教职工按工号对应）
  reindex                      重建检索索引
  overdue [--date YYYY-MM-DD]  每日：过期预约、生成催还单（供定时任务调用）
  user add USERNAME --role ROLE [--password P] [--card CARD]
                               添加用户（ROLE: librarian assistant homeroom teacher
                               student viewer kiosk；--card 关联到该借书证的读者）
  token USERNAME               为用户生成新的 API 令牌
  manage …                     任意 Django 管理命令
"""


class Command(BaseCommand):
    help = "List the shuxiang commands."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(USAGE)
