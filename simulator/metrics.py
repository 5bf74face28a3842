"""Catalogue of the series the core model produces: name, unit, meaning, summary scale.

Names are the contract between the model, the target registry and the reports. Units are the
engine's internal ones (fractions, not percent). ``scale`` picks the fixed histogram used for
streaming quantiles (see :mod:`simulator.summaries`): ``log`` for positive levels, ``unit`` for
shares in [0, 1], ``rate`` for growth rates, ``ratio`` for unbounded ratios.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    scale: str
    en: str
    vi: str


_ROWS = [
    # demography
    ("population_persons", "persons", "log", "Average population", "Dân số trung bình"),
    ("urbanisation_rate", "share", "unit", "Urban share of population", "Tỷ lệ đô thị hóa"),
    # labour
    ("employment_ratio", "share", "unit", "Employed persons per inhabitant", "Tỷ lệ lao động có việc làm trên dân số"),
    ("employed_persons", "persons", "log", "Employed persons", "Số lao động có việc làm"),
    ("unemployment_rate", "share", "unit", "Unemployment rate", "Tỷ lệ thất nghiệp"),
    ("emp_share_agri", "share", "unit", "Employment share: agriculture, forestry, fisheries", "Tỷ trọng lao động nông, lâm, thủy sản"),
    ("emp_share_industry_construction", "share", "unit", "Employment share: industry and construction", "Tỷ trọng lao động công nghiệp và xây dựng"),
    ("emp_share_services", "share", "unit", "Employment share: services", "Tỷ trọng lao động dịch vụ"),
    ("trained_labour_share", "share", "unit", "Workers with a degree or certificate", "Tỷ lệ lao động có bằng cấp, chứng chỉ"),
    ("human_capital_index", "index", "log", "Human capital per worker (2025 = Mincer index)", "Chỉ số vốn nhân lực"),
    # production
    ("investment_share", "share", "unit", "Realised investment, share of GRDP", "Tỷ trọng vốn đầu tư thực hiện trên GRDP"),
    ("capital_real_bn_vnd", "bn VND", "log", "Capital stock, constant 2010 prices", "Vốn sản xuất, giá so sánh 2010"),
    ("tfp_index", "index", "log", "Total factor productivity (A)", "Năng suất nhân tố tổng hợp (A)"),
    ("grdp_real_bn_vnd", "bn VND", "log", "GRDP, constant 2010 prices", "GRDP giá so sánh 2010"),
    ("grdp_real_growth", "share/yr", "rate", "Real GRDP growth", "Tốc độ tăng GRDP"),
    ("tfp_contribution", "share", "ratio", "TFP contribution to real growth since the base year", "Đóng góp của TFP vào tăng trưởng"),
    ("labour_productivity_real_mvnd", "m VND/worker/year", "log", "Labour productivity, constant 2010 prices", "Năng suất lao động giá so sánh"),
    # structure of current-price GRDP
    ("share_agri", "share", "unit", "GRDP share: agriculture, forestry, fisheries", "Tỷ trọng nông, lâm nghiệp và thủy sản"),
    ("share_industry", "share", "unit", "GRDP share: industry", "Tỷ trọng công nghiệp"),
    ("share_construction", "share", "unit", "GRDP share: construction", "Tỷ trọng xây dựng"),
    ("share_industry_construction", "share", "unit", "GRDP share: industry and construction", "Tỷ trọng công nghiệp và xây dựng"),
    ("share_services", "share", "unit", "GRDP share: services", "Tỷ trọng dịch vụ"),
    ("share_taxes", "share", "unit", "GRDP share: product taxes less subsidies", "Tỷ trọng thuế sản phẩm trừ trợ cấp"),
    # prices
    ("deflator_growth", "share/yr", "rate", "GRDP deflator inflation", "Tốc độ tăng chỉ số giảm phát GRDP"),
    ("deflator_index", "index", "log", "GRDP deflator (2010 = 1)", "Chỉ số giảm phát GRDP (2010 = 1)"),
    ("usd_vnd", "VND/USD", "log", "Exchange rate", "Tỷ giá"),
    # current-price aggregates
    ("grdp_current_bn_vnd", "bn VND", "log", "GRDP, current prices", "GRDP giá hiện hành"),
    ("grdp_per_capita_mvnd", "m VND/person/year", "log", "GRDP per capita, current prices", "GRDP bình quân đầu người"),
    ("labour_productivity_current_mvnd", "m VND/worker/year", "log", "Labour productivity, current prices", "Năng suất lao động giá hiện hành"),
    ("investment_current_bn_vnd", "bn VND", "log", "Realised investment, current prices", "Tổng vốn đầu tư thực hiện"),
    ("budget_revenue_bn_vnd", "bn VND", "log", "State budget revenue on the territory", "Tổng thu ngân sách nhà nước trên địa bàn"),
    ("exports_musd", "m USD", "log", "Exports of goods and services, FX earnings", "Kim ngạch xuất khẩu, dịch vụ và thu ngoại tệ"),
    ("income_per_capita_month_mvnd", "m VND/person/month", "log", "Average income per capita", "Thu nhập bình quân đầu người"),
]

CATALOGUE: dict[str, Metric] = {row[0]: Metric(*row) for row in _ROWS}
