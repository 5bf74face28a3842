"""Catalogue of the series the model produces: name, unit, meaning, summary scale.

:data:`CATALOGUE` holds the core model's series, :data:`SATELLITE_CATALOGUE` those of the
satellite models (:mod:`simulator.satellites`), :data:`SERIES` both. :data:`ADMINISTRATIVE` names
the indicators of administrative targets, judged by a prior from the scenario file (no series).

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
    ("human_capital_index", "index", "log", "Human capital per worker (Mincer index, exp of return × trained share)", "Chỉ số vốn nhân lực"),
    # production
    ("investment_share", "share", "unit", "Realised investment, share of GRDP", "Tỷ trọng vốn đầu tư thực hiện trên GRDP"),
    ("capital_real_bn_vnd", "bn VND", "log", "Capital stock, constant 2010 prices", "Vốn sản xuất, giá so sánh 2010"),
    ("tfp_index", "index", "log", "Total factor productivity (A)", "Năng suất nhân tố tổng hợp (A)"),
    ("grdp_real_bn_vnd", "bn VND", "log", "GRDP, constant 2010 prices", "GRDP giá so sánh 2010"),
    ("grdp_real_growth", "share/yr", "rate", "Real GRDP growth", "Tốc độ tăng GRDP"),
    ("tfp_contribution", "share", "ratio", "TFP contribution to real growth since the base year (statistics office's accounting)", "Đóng góp của TFP vào tăng trưởng"),
    ("tfp_contribution_annual", "share", "ratio", "TFP contribution to the year's real growth", "Đóng góp của TFP vào tăng trưởng trong năm"),
    ("tfp_contribution_points", "share/yr", "rate", "Measured TFP growth a year since the base year (contribution in points)", "Tăng trưởng TFP bình quân (điểm %)"),
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

_SATELLITE_ROWS = [
    # society
    ("poverty_rate", "share", "unit", "Multidimensional poverty rate (households)", "Tỷ lệ hộ nghèo đa chiều"),
    ("life_expectancy_years", "years", "log", "Life expectancy at birth", "Tuổi thọ trung bình tính từ lúc sinh"),
    ("healthy_life_expectancy_years", "years", "log", "Healthy life expectancy", "Thời gian sống khỏe mạnh"),
    ("mean_years_schooling", "years", "log", "Mean years of schooling (25+)", "Số năm đi học bình quân"),
    ("expected_years_schooling", "years", "log", "Expected years of schooling", "Số năm đi học kỳ vọng"),
    ("gni_per_capita_ppp", "PPP $", "log", "GNI per capita, constant PPP dollars", "GNI bình quân đầu người, USD PPP"),
    ("hdi_index", "index", "unit", "Human Development Index, official level (statistics office's method)", "Chỉ số phát triển con người (HDI)"),
    ("hdi_formula_index", "index", "unit", "HDI by the statistics office's formula on the modelled inputs", "HDI theo công thức, trên các thành phần mô hình"),
    ("doctors_per_10k", "per 10,000 population", "log", "Doctors per 10,000 population", "Bác sỹ trên một vạn dân"),
    ("hospital_beds_per_10k", "per 10,000 population", "log", "Hospital beds per 10,000 population", "Giường bệnh trên một vạn dân"),
    ("health_insurance_coverage_rate", "share", "unit", "Health insurance coverage", "Tỷ lệ bao phủ bảo hiểm y tế"),
    ("schools_national_standard_share", "share", "unit", "Schools meeting the national standard", "Tỷ lệ trường đạt chuẩn quốc gia"),
    ("preschools_national_standard_share", "share", "unit", "Pre-schools meeting the national standard", "Tỷ lệ trường mầm non đạt chuẩn"),
    ("primary_schools_national_standard_share", "share", "unit", "Primary schools meeting the national standard", "Tỷ lệ trường tiểu học đạt chuẩn"),
    ("lower_secondary_schools_national_standard_share", "share", "unit", "Lower secondary schools meeting the national standard", "Tỷ lệ trường THCS đạt chuẩn"),
    ("upper_secondary_schools_national_standard_share", "share", "unit", "Upper secondary schools meeting the national standard", "Tỷ lệ trường THPT đạt chuẩn"),
    # science, technology, innovation, private economy
    ("digital_economy_share", "share", "unit", "Digital economy value added, share of GRDP", "Tỷ trọng kinh tế số trong GRDP"),
    ("online_public_services_use_rate", "share", "unit", "Use of online public services", "Tỷ lệ sử dụng dịch vụ công trực tuyến"),
    ("innovating_enterprises_share", "share", "unit", "Enterprises with innovation activity", "Tỷ lệ doanh nghiệp có đổi mới sáng tạo"),
    ("rd_staff_per_10k", "per 10,000 population", "log", "R&D and innovation staff per 10,000 population", "Nhân lực nghiên cứu trên một vạn dân"),
    ("intl_scientific_publications_count", "count", "log", "International scientific publications a year", "Số công bố khoa học quốc tế"),
    ("patent_applications_and_grants_count", "count", "log", "Patent applications and grants a year", "Số đơn đăng ký, văn bằng sáng chế"),
    ("patent_commercialisation_rate", "share", "unit", "Patents in commercial use", "Tỷ lệ khai thác thương mại sáng chế"),
    ("private_economy_share", "share", "unit", "Private economy, share of real GRDP", "Tỷ trọng kinh tế tư nhân trong GRDP"),
    ("private_economy_grdp_real_bn_vnd", "bn VND", "log", "Private economy value added, constant 2010 prices", "Giá trị tăng thêm kinh tế tư nhân, giá so sánh"),
    # environment, infrastructure
    ("urban_solid_waste_treated_rate", "share", "unit", "Urban solid waste collected and treated", "Tỷ lệ chất thải rắn đô thị được xử lý"),
    ("hazardous_waste_treated_rate", "share", "unit", "Hazardous waste collected and treated", "Tỷ lệ chất thải nguy hại được xử lý"),
    ("rural_clean_water_households_share", "share", "unit", "Rural households with standard clean water", "Tỷ lệ hộ nông thôn dùng nước sạch"),
    ("forest_cover_rate", "share", "unit", "Forest cover, share of land area", "Tỷ lệ che phủ rừng"),
    ("social_housing_completed_dwellings", "dwellings", "log", "Social housing dwellings completed in the year", "Số căn nhà ở xã hội hoàn thành trong năm"),
]

SATELLITE_CATALOGUE: dict[str, Metric] = {row[0]: Metric(*row) for row in _SATELLITE_ROWS}

#: Every simulated series: the core model's and the satellites'.
SERIES: dict[str, Metric] = {**CATALOGUE, **SATELLITE_CATALOGUE}

# Indicators of administrative targets (governance ranks, party, defence, compliance rates):
# no series is simulated; the scenario's [priors] table gives each an attainment probability.
_ADMINISTRATIVE_ROWS = [
    ("par_index_rank", "rank", "Public Administration Reform Index rank", "Xếp hạng PAR INDEX"),
    ("sipas_rank", "rank", "SIPAS satisfaction index rank", "Xếp hạng SIPAS"),
    ("papi_rank", "rank", "PAPI governance index rank", "Xếp hạng PAPI"),
    ("pci_rank", "rank", "Provincial Competitiveness Index rank", "Xếp hạng PCI"),
    ("sti_budget_spending_share", "share", "Budget spending on science, innovation, digital transformation", "Tỷ lệ chi ngân sách cho KHCN, ĐMST, CĐS"),
    ("public_investment_disbursement_rate", "share", "Public investment disbursed, share of plan", "Tỷ lệ giải ngân vốn đầu tư công"),
    ("annual_health_check_coverage_rate", "share", "People covered by annual health checks", "Tỷ lệ người dân được khám sức khỏe hằng năm"),
    ("preschool_universalisation_3_5_completed", "index", "Universal pre-school 3–5 completed (1 = yes)", "Hoàn thành phổ cập mầm non 3–5 tuổi"),
    ("compulsory_lower_secondary_completed", "index", "Compulsory education to lower secondary completed (1 = yes)", "Hoàn thành giáo dục bắt buộc hết THCS"),
    ("industrial_clusters_wastewater_treatment_rate", "share", "Industrial clusters with central wastewater treatment", "Tỷ lệ cụm công nghiệp có xử lý nước thải tập trung"),
    ("medical_waste_treated_rate", "share", "Medical waste treated", "Tỷ lệ chất thải y tế được xử lý"),
    ("new_rural_communes_count", "count", "Communes meeting the new-countryside standard", "Số xã đạt chuẩn nông thôn mới"),
    ("party_organisations_rated_good_share", "share", "Grassroots party organisations rated good or better", "Tỷ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ"),
    ("party_members_rated_good_share", "share", "Party members rated good or better", "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ"),
    ("party_admissions_share_of_members", "share", "New party members, share of membership", "Tỷ lệ kết nạp đảng viên mới"),
    ("staff_streamlining_quota_completion_rate", "share", "Staff streamlining, share of quota", "Tỷ lệ tinh giản biên chế so với chỉ tiêu"),
    ("socio_political_membership_share", "share", "Eligible people in socio-political organisations", "Tỷ lệ quần chúng tham gia tổ chức chính trị - xã hội"),
    ("conscription_quota_completion_rate", "share", "Military call-up, share of quota", "Tỷ lệ hoàn thành chỉ tiêu tuyển quân"),
    ("defence_training_quota_completion_rate", "share", "Defence training and education, share of quota", "Tỷ lệ hoàn thành chỉ tiêu huấn luyện, giáo dục quốc phòng"),
    ("security_safe_communes_share", "share", "Communes safe on security and order", "Tỷ lệ xã, phường an toàn về an ninh, trật tự"),
    ("drug_free_communes_share", "share", "Drug-free communes and wards", "Tỷ lệ xã, phường không có ma túy"),
    ("international_agreements_signed_count", "count", "City-level international agreements signed", "Số thỏa thuận quốc tế cấp thành phố"),
    ("international_organisations_joined_count", "count", "International organisations and forums joined", "Số tổ chức, diễn đàn quốc tế tham gia"),
    ("citizen_protection_cases_supported_rate", "share", "Citizen-protection cases supported effectively", "Tỷ lệ trường hợp bảo hộ công dân được hỗ trợ"),
]

ADMINISTRATIVE: dict[str, Metric] = {row[0]: Metric(row[0], row[1], "none", row[2], row[3]) for row in _ADMINISTRATIVE_ROWS}

#: Unit of every metric a registry row may name: simulated series and administrative indicators.
KNOWN_UNITS: dict[str, str] = {name: m.unit for name, m in {**SERIES, **ADMINISTRATIVE}.items()}
