/* The built-in header alias table: common Chinese and English column names
 * of CRM and Excel exports, folded (trimmed, NFKC, case-folded, spaces and
 * hyphens as underscores), mapped to the canonical snake_case names. */
#include "reader.h"
#include "text.h"

#include <string.h>

static const struct alias {
    const char *folded;
    const char *canonical;
} aliases[] = {
    /* lead */
    {"lead_id", "lead_id"}, {"线索编号", "lead_id"}, {"线索id", "lead_id"},
    {"线索号", "lead_id"}, {"线索编码", "lead_id"}, {"leadid", "lead_id"},
    {"created_at", "created_at"}, {"创建时间", "created_at"}, {"创建日期", "created_at"},
    {"录入时间", "created_at"}, {"登记时间", "created_at"}, {"提交时间", "created_at"},
    {"create_time", "created_at"}, {"created", "created_at"},
    {"source", "source"}, {"线索来源", "source"}, {"来源", "source"}, {"来源渠道", "source"},
    {"渠道", "source"}, {"获客渠道", "source"},
    {"company", "company"}, {"客户名称", "company"}, {"公司名称", "company"},
    {"公司", "company"}, {"企业名称", "company"}, {"单位名称", "company"},
    {"客户", "company"}, {"客户公司", "company"}, {"company_name", "company"},
    {"contact_name", "contact_name"}, {"联系人", "contact_name"},
    {"联系人姓名", "contact_name"}, {"客户姓名", "contact_name"}, {"contact", "contact_name"},
    {"title", "title"}, {"职位", "title"}, {"职务", "title"}, {"头衔", "title"},
    {"岗位", "title"}, {"job_title", "title"}, {"position", "title"},
    {"phone", "phone"}, {"手机", "phone"}, {"手机号", "phone"}, {"手机号码", "phone"},
    {"电话", "phone"}, {"联系电话", "phone"}, {"联系方式", "phone"}, {"mobile", "phone"},
    {"tel", "phone"}, {"telephone", "phone"}, {"phone_number", "phone"},
    {"email", "email"}, {"邮箱", "email"}, {"电子邮箱", "email"}, {"电子邮件", "email"},
    {"邮件", "email"}, {"e_mail", "email"}, {"mail", "email"},
    {"city", "city"}, {"城市", "city"}, {"所在城市", "city"},
    /* customer (dedupe-clean) */
    {"address", "address"}, {"地址", "address"}, {"详细地址", "address"},
    {"公司地址", "address"}, {"联系地址", "address"}, {"办公地址", "address"},
    {"updated_at", "updated_at"}, {"更新时间", "updated_at"}, {"最后更新", "updated_at"},
    {"修改时间", "updated_at"}, {"最近更新时间", "updated_at"},
    {"district", "district"}, {"商圈", "district"}, {"区域", "district"}, {"区县", "district"},
    {"所在区域", "district"}, {"片区", "district"},
    {"budget", "budget"}, {"预算", "budget"}, {"预算金额", "budget"}, {"预算(元)", "budget"},
    {"预计预算", "budget"},
    {"industry", "industry"}, {"行业", "industry"}, {"所属行业", "industry"},
    {"employees", "employees"}, {"员工人数", "employees"}, {"公司规模", "employees"},
    {"人员规模", "employees"}, {"员工数", "employees"}, {"headcount", "employees"},
    {"company_size", "employees"},
    {"owner", "owner"}, {"负责人", "owner"}, {"归属销售", "owner"}, {"销售", "owner"},
    {"跟进人", "owner"}, {"所属销售", "owner"}, {"销售代表", "owner"},
    {"assigned_at", "assigned_at"}, {"分配时间", "assigned_at"},
    /* rep */
    {"rep_id", "rep_id"}, {"销售编号", "rep_id"}, {"销售id", "rep_id"}, {"员工编号", "rep_id"},
    {"工号", "rep_id"},
    {"rep_name", "rep_name"}, {"销售姓名", "rep_name"}, {"员工姓名", "rep_name"},
    {"team", "team"}, {"团队", "team"}, {"小组", "team"}, {"部门", "team"},
    {"status", "status"}, {"状态", "status"}, {"在线状态", "status"},
    {"weight", "weight"}, {"权重", "weight"},
    {"capacity", "capacity"}, {"容量", "capacity"}, {"上限", "capacity"},
    {"hired_at", "hired_at"}, {"入职时间", "hired_at"}, {"入职日期", "hired_at"},
    {"regions", "regions"}, {"负责区域", "regions"},
    {"supervisor_id", "supervisor_id"}, {"主管编号", "supervisor_id"}, {"上级", "supervisor_id"},
    /* activity */
    {"activity_id", "activity_id"}, {"跟进编号", "activity_id"}, {"记录编号", "activity_id"},
    {"deal_id", "deal_id"}, {"商机编号", "deal_id"}, {"商机id", "deal_id"},
    {"订单编号", "deal_id"},
    {"at", "at"}, {"跟进时间", "at"},
    {"action", "action"}, {"动作", "action"}, {"跟进方式", "action"}, {"跟进动作", "action"},
    {"stage", "stage"}, {"阶段", "stage"}, {"销售阶段", "stage"},
    {"goal", "goal"}, {"沟通目标", "goal"}, {"本次沟通目标", "goal"},
    {"objection", "objection"}, {"客户异议", "objection"}, {"异议", "objection"},
    {"异议点", "objection"},
    {"next_step", "next_step"}, {"下一步", "next_step"}, {"下一步承诺", "next_step"},
    {"下一步计划", "next_step"},
    {"next_due", "next_due"}, {"下一步期限", "next_due"}, {"承诺日期", "next_due"},
    {"next_done", "next_done"}, {"下一步完成", "next_done"}, {"是否完成", "next_done"},
    {"docs", "docs"}, {"关联文档", "docs"}, {"附件", "docs"}, {"文档", "docs"},
    {"duration_min", "duration_min"}, {"时长", "duration_min"}, {"时长(分钟)", "duration_min"},
    {"通话时长", "duration_min"},
    /* stage event, outcome */
    {"amount", "amount"}, {"金额", "amount"}, {"成交金额", "amount"}, {"合同金额", "amount"},
    {"outcome", "outcome"}, {"结果", "outcome"}, {"赢单/输单", "outcome"},
    {"lost_reason", "lost_reason"}, {"输单原因", "lost_reason"}, {"丢单原因", "lost_reason"},
    {"closed_at", "closed_at"}, {"成交时间", "closed_at"}, {"关闭时间", "closed_at"},
};

const char *sop_alias_lookup(const char *header, size_t len)
{
    char folded[256];
    size_t n = sop_text_fold(header, len, folded, sizeof folded);
    if (n == (size_t)-1)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (folded[i] == ' ' || folded[i] == '-')
            folded[i] = '_';
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i].folded, folded) == 0)
            return aliases[i].canonical;
    return NULL;
}

long sop_find_column(const sop_schema *schema, const char *name)
{
    long col = sop_schema_find(schema, name);
    if (col < 0) {
        const char *alias = sop_alias_lookup(name, strlen(name));
        if (alias)
            col = sop_schema_find(schema, alias);
    }
    return col;
}
