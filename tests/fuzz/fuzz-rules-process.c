/*
 * fuzz-rules-process.c - libFuzzer harness for the rules engine's path
 * through one untrusted log line: pre-decoding (the syslog header),
 * decoding (prematch, regex offsets, multi-regex groups, the JSON and PF
 * plugins), and the rule tree with correlation state carried from input
 * to input (frequency, if_matched_sid, FTS, check_diff).
 *
 * The ruleset is built in: written to a temporary directory at the first
 * call and loaded once.  Besides what ASan and UBSan catch, it checks
 * that every string of the result is NUL-terminated within the line's
 * size plus the arena's slack, and that the JSON form of the result can
 * be built (which walks every string).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rules/rules-json.h"
#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char decoders[] =
"<decoder name=\"sshd\">\n"
"  <program_name>^sshd</program_name>\n"
"</decoder>\n"
"<decoder name=\"sshd-fail\">\n"
"  <parent>sshd</parent>\n"
"  <prematch>^Failed \\S+ </prematch>\n"
"  <regex offset=\"after_prematch\">^for (\\S+) from (\\S+) port (\\d+)</regex>\n"
"  <order>user, srcip, srcport</order>\n"
"  <fts>name, user, srcip</fts>\n"
"</decoder>\n"
"<decoder name=\"sshd-multi\">\n"
"  <parent>sshd</parent>\n"
"  <prematch_pcre2>^Accepted</prematch_pcre2>\n"
"  <pcre2>for (\\S+)</pcre2>\n"
"  <order>dstuser</order>\n"
"</decoder>\n"
"<decoder name=\"sshd-multi\">\n"
"  <parent>sshd</parent>\n"
"  <pcre2 offset=\"after_regex\">from (\\S+)</pcre2>\n"
"  <order>srcip</order>\n"
"</decoder>\n"
"<decoder name=\"json\">\n"
"  <prematch>^{</prematch>\n"
"  <plugin_decoder>JSON_Decoder</plugin_decoder>\n"
"</decoder>\n"
"<decoder name=\"pf\">\n"
"  <program_name>^pf$</program_name>\n"
"  <plugin_decoder>PF_Decoder</plugin_decoder>\n"
"  <type>firewall</type>\n"
"</decoder>\n"
"<decoder name=\"web\">\n"
"  <prematch_pcre2>^\\d+\\.\\d+\\.\\d+\\.\\d+ - </prematch_pcre2>\n"
"  <pcre2>^(\\S+) - \\S+ \\[[^]]*\\] \"(\\w+) (\\S+)[^\"]*\" (\\d+)</pcre2>\n"
"  <order>srcip, action, url, id</order>\n"
"  <type>web-log</type>\n"
"</decoder>\n";

static const char rules[] =
"<group name=\"fuzz,\">\n"
"  <rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
"<description>s</description></rule>\n"
"  <rule id=\"2\" level=\"0\" noalert=\"1\"><category>firewall</category>"
"<description>f</description></rule>\n"
"  <rule id=\"4\" level=\"0\" noalert=\"1\"><category>web-log</category>"
"<description>w</description></rule>\n"
"  <rule id=\"100\" level=\"5\"><decoded_as>sshd</decoded_as>"
"<match>Failed|failure</match><description>fail $(srcip) $(dstuser)"
"</description><group>authentication_failed,</group></rule>\n"
"  <rule id=\"101\" level=\"10\" frequency=\"3\" timeframe=\"60\">"
"<if_matched_sid>100</if_matched_sid><same_source_ip/>"
"<description>brute</description></rule>\n"
"  <rule id=\"102\" level=\"3\"><if_sid>100</if_sid><if_fts/>"
"<description>first</description></rule>\n"
"  <rule id=\"103\" level=\"4\"><if_sid>1</if_sid><srcip>10.0.0.0/8"
"</srcip><srcip>!192.168.0.0/16</srcip><description>ip</description>"
"</rule>\n"
"  <rule id=\"104\" level=\"6\"><if_sid>4</if_sid><id_pcre2>^4</id_pcre2>"
"<url_pcre2>\\.php</url_pcre2><description>web</description></rule>\n"
"  <rule id=\"105\" level=\"7\" frequency=\"4\" timeframe=\"30\">"
"<if_matched_group>authentication_failed</if_matched_group>"
"<same_user/><description>group</description></rule>\n"
"  <rule id=\"106\" level=\"2\"><if_sid>1</if_sid><regex>^(\\w+)=\\d+"
"</regex><check_diff/><description>diff</description></rule>\n"
"  <rule id=\"107\" level=\"3\"><if_sid>1</if_sid>"
"<field name=\"a.b\">^x</field><description>json</description></rule>\n"
"  <rule id=\"108\" level=\"3\"><if_sid>2</if_sid><action>block</action>"
"<time>6 pm - 8:30 am</time><weekday>weekdays</weekday>"
"<description>pf</description></rule>\n"
"</group>\n";

static struct rules_set *rs;
static struct rules_ctx *ctx;

static void
setup(void)
{
	char dir[] = "/tmp/mamori-fuzz-rules.XXXXXX", path[64], err[1024];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/0010-d.xml", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(decoders, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/0100-r.xml", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(rules, f);
	fclose(f);
	if ((rs = rules_set_new()) == NULL ||
	    rules_set_load(rs, dir, err, sizeof(err)) != 0 ||
	    rules_set_finish(rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz ruleset: %s\n", err);
		abort();
	}
	snprintf(path, sizeof(path), "%s/0010-d.xml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/0100-r.xml", dir);
	unlink(path);
	rmdir(dir);
	if ((ctx = rules_ctx_new(rs)) == NULL)
		abort();
	rules_ctx_set_hostname(ctx, "fuzz");
}

static void
check_str(const char *s, size_t limit)
{
	if (s != NULL && strnlen(s, limit + 1) > limit)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t t;
	struct rules_result res;
	struct rules_json_meta meta;
	size_t limit = size + 4096;
	json_t *j;
	int i;

	if (rs == NULL)
		setup();
	/* Time moves a little with each input, so windows open and close. */
	t += (size > 0 ? data[0] % 16 : 1) * 1000000000LL;
	if (rules_process(ctx, (const char *)data, size, "fuzz", t,
	    &res) != 0)
		return 0;
	check_str(res.full_log, limit);
	check_str(res.log, limit);
	check_str(res.hostname, limit);
	check_str(res.program_name, limit);
	check_str(res.decoder, limit);
	check_str(res.description, 4096);
	for (i = 0; i < RULES_F_NFIXED; i++)
		check_str(res.fields[i], limit);
	for (i = 0; i < res.norder; i++)
		check_str(res.order[i].value, limit);
	if (res.ndyn < 0 || res.ndyn > RULES_MAX_DYN ||
	    res.norder < 0 || res.norder > RULES_F_NFIXED + RULES_MAX_DYN)
		abort();
	if (res.alert && !res.matched)
		abort();
	memset(&meta, 0, sizeof(meta));
	meta.time_ns = t;
	if ((j = rules_result_json(&res, &meta)) == NULL)
		abort();
	json_decref(j);
	return 0;
}
