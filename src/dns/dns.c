/*
 * Names of DNS types and answer classes. The type table also serves the
 * master-file parser: a mnemonic it knows but emauth does not store is
 * skipped with a warning, a word it does not know is a syntax error.
 */
#include <stddef.h>
#include <stdint.h>

#include <emauth/dns.h>

#include "dns/zone_internal.h"

/* IANA "Resource Record (RR) TYPEs", the ones a zone file may plausibly hold. */
static const struct {
    uint16_t type;
    const char *name;
} dns_types[] = {
    {1, "A"},          {2, "NS"},          {3, "MD"},         {4, "MF"},
    {5, "CNAME"},      {6, "SOA"},         {7, "MB"},         {8, "MG"},
    {9, "MR"},         {10, "NULL"},       {11, "WKS"},       {12, "PTR"},
    {13, "HINFO"},     {14, "MINFO"},      {15, "MX"},        {16, "TXT"},
    {17, "RP"},        {18, "AFSDB"},      {19, "X25"},       {20, "ISDN"},
    {21, "RT"},        {22, "NSAP"},       {23, "NSAP-PTR"},  {24, "SIG"},
    {25, "KEY"},       {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},
    {29, "LOC"},       {30, "NXT"},        {33, "SRV"},       {35, "NAPTR"},
    {36, "KX"},        {37, "CERT"},       {38, "A6"},        {39, "DNAME"},
    {42, "APL"},       {43, "DS"},         {44, "SSHFP"},     {45, "IPSECKEY"},
    {46, "RRSIG"},     {47, "NSEC"},       {48, "DNSKEY"},    {49, "DHCID"},
    {50, "NSEC3"},     {51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},
    {55, "HIP"},       {59, "CDS"},        {60, "CDNSKEY"},   {61, "OPENPGPKEY"},
    {62, "CSYNC"},     {63, "ZONEMD"},     {64, "SVCB"},      {65, "HTTPS"},
    {99, "SPF"},       {104, "NID"},       {105, "L32"},      {106, "L64"},
    {107, "LP"},       {108, "EUI48"},     {109, "EUI64"},    {249, "TKEY"},
    {250, "TSIG"},     {251, "IXFR"},      {252, "AXFR"},     {255, "ANY"},
    {256, "URI"},      {257, "CAA"},       {258, "AVC"},      {32769, "DLV"},
};

#define DNS_NTYPES (sizeof dns_types / sizeof dns_types[0])

const char *emauth_dns_type_name(uint16_t type)
{
    for (size_t i = 0; i < DNS_NTYPES; i++)
        if (dns_types[i].type == type)
            return dns_types[i].name;
    return NULL;
}

const char *emauth_dns_rcode_name(emauth_dns_rcode rcode)
{
    switch (rcode) {
    case EMAUTH_DNS_OK: return "ok";
    case EMAUTH_DNS_NODATA: return "nodata";
    case EMAUTH_DNS_NXDOMAIN: return "nxdomain";
    case EMAUTH_DNS_SERVFAIL: return "servfail";
    case EMAUTH_DNS_TIMEOUT: return "timeout";
    }
    return "unknown";
}

static int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive: does p[0..len) spell the NUL-terminated ASCII word? */
static int word_equals(const char *p, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (word[i] == '\0' || ascii_upper((unsigned char)p[i]) != word[i])
            return 0;
    }
    return word[i] == '\0';
}

int ea_dns_type_from_name(const char *p, size_t len, uint16_t *type)
{
    for (size_t i = 0; i < DNS_NTYPES; i++) {
        if (word_equals(p, len, dns_types[i].name)) {
            *type = dns_types[i].type;
            return 0;
        }
    }
    return -1;
}
