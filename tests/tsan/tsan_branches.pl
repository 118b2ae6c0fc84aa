#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# tests/tsan/tsan_branches.pl off|on INDIR OUTDIR - copy every .h file
# under INDIR to the same place under OUTDIR with every preprocessor
# conditional that depends on ThreadSanitizer resolved, as if TSan were
# off (or on). Written for tests/tsan/identical.sh, which builds
# the same probe against the headers as they are and against the "off"
# copy: the two objects must be byte-identical.
#
# A condition depends on TSan if it mentions __SANITIZE_THREAD__,
# __has_feature(thread_sanitizer) / __has_feature(tsan), or a "TSan macro":
# one that the headers #define inside a TSan-dependent branch (e.g. a
# header's own ODMA__TSAN). A TSan macro counts as 0 ("off") or 1 ("on")
# in #if; defined(M) is 0 when "off" (so `#ifndef M` + `#define M 0`
# stays as the fallback) and left to the compiler when "on". Such a condition is evaluated in three values
# (0, 1, unknown), with every other identifier unknown: `0 && anything` is
# 0, `1 || anything` is 1. A resolved group keeps the taken branch's lines
# and drops the rest and the directives; an unresolved one is kept as it
# is (like unifdef). Conditions that do not mention TSan are left alone.
#
# The evaluation is independent of the compiler's: if a header's normal
# build took a TSan branch by mistake (say `#ifdef ODMA__TSAN` where
# ODMA__TSAN is always defined, as 0 or 1), the compiler would build the
# TSan code and this script would not, and the objects differ.
use strict;
use warnings;

my ($mode, $indir, $outdir) = @ARGV;
die "usage: $0 off|on INDIR OUTDIR\n"
    unless @ARGV == 3 && ($mode eq 'off' || $mode eq 'on') && -d $indir;
my $tsan = $mode eq 'on' ? 1 : 0;
my @files;
{
    my @dirs = ($indir);
    while (my $d = shift @dirs) {
        opendir my $dh, $d or die "$d: $!\n";
        for my $e (sort readdir $dh) {
            next if $e =~ /^\./;
            if (-d "$d/$e") { push @dirs, "$d/$e" }
            elsif ($e =~ /\.h$/) { push @files, substr("$d/$e", length($indir) + 1) }
        }
        closedir $dh;
    }
}
die "$indir: no headers\n" unless @files;

my @lines;
for my $f (@files) {
    open my $fh, '<', "$indir/$f" or die "$indir/$f: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    # Join continued directive lines for parsing; keep the original text
    # (the physical lines) for printing.
    my @phys = split /\n/, $text, -1;
    pop @phys if @phys && $phys[-1] eq '';
    my @logical;
    while (@phys) {
        my $l = shift @phys;
        my $orig = $l;
        while ($l =~ /^\s*#/ && $l =~ /\\$/ && @phys) {
            my $next = shift @phys;
            $orig .= "\n" . $next;
            $l =~ s/\\$//;
            $l .= ' ' . $next;
        }
        push @logical, [ $l, $orig ];
    }
    push @lines, [ $f, \@logical ];
}

my %tsan_macro;  # macros defined only under TSan branches
my $TSAN_RE = qr/__SANITIZE_THREAD__|__has_feature\s*\(\s*(?:thread_sanitizer|tsan)\s*\)/;

sub mentions_tsan {
    my ($e) = @_;
    return 1 if $e =~ $TSAN_RE;
    for my $m (keys %tsan_macro) {
        return 1 if $e =~ /\b\Q$m\E\b/;
    }
    return 0;
}

# ---- three-valued evaluation of a #if expression ---------------------
# Values: 0, 1 (or any integer), or undef for unknown.
my @tok;
sub tokenize {
    my ($e) = @_;
    $e =~ s{/\*.*?\*/}{ }g;
    $e =~ s{//.*}{};
    @tok = ();
    while ($e =~ /\G\s*(\d+[uUlL]*|[A-Za-z_]\w*|&&|\|\||==|!=|>=|<=|[()!<>])/gc) {
        push @tok, $1;
    }
    $e =~ /\G\s*/gc;
    return pos($e) == length($e) ? 1 : 0;    # 0: something we do not parse
}
sub peek { return $tok[0] // '' }
sub take { return shift @tok }
sub e_or {
    my $v = e_and();
    while (peek() eq '||') {
        take();
        my $r = e_and();
        $v = (defined $v && $v) || (defined $r && $r) ? 1
           : (defined $v && defined $r) ? 0 : undef;
    }
    return $v;
}
sub e_and {
    my $v = e_cmp();
    while (peek() eq '&&') {
        take();
        my $r = e_cmp();
        $v = (defined $v && !$v) || (defined $r && !$r) ? 0
           : (defined $v && defined $r) ? 1 : undef;
    }
    return $v;
}
sub e_cmp {
    my $v = e_unary();
    while (peek() =~ /^(==|!=|>=|<=|<|>)$/) {
        my $op = take();
        my $r = e_unary();
        if (!defined $v || !defined $r) { $v = undef; next }
        $v = $op eq '==' ? $v == $r : $op eq '!=' ? $v != $r : $op eq '>=' ? $v >= $r
           : $op eq '<=' ? $v <= $r : $op eq '<' ? $v < $r : $v > $r;
        $v = $v ? 1 : 0;
    }
    return $v;
}
sub e_unary {
    my $t = take() // return undef;
    if ($t eq '!') { my $v = e_unary(); return defined $v ? ($v ? 0 : 1) : undef }
    if ($t eq '(') { my $v = e_or(); take() if peek() eq ')'; return $v }
    if ($t =~ /^(\d+)/) { return $1 + 0 }
    if ($t eq 'defined') {
        my $paren = peek() eq '(' ? take() : '';
        my $name = take() // '';
        take() if $paren && peek() eq ')';
        return $tsan if $name eq '__SANITIZE_THREAD__';
        # A TSan macro tested with defined(): "off" means it is not defined
        # (a fallback `#ifndef M / #define M 0` stays, `#ifdef M` goes);
        # "on" leaves the test to the compiler.
        return $tsan_macro{$name} && !$tsan ? 0 : undef;
    }
    if ($t eq '__has_feature' || $t eq '__has_builtin' || $t eq '__has_attribute' ||
        $t eq '__has_include') {
        my $arg = '';
        if (peek() eq '(') {
            take();
            my $depth = 1;
            while (@tok && $depth) {
                my $x = take();
                $depth++ if $x eq '(';
                $depth-- if $x eq ')';
                $arg .= $x if $depth;
            }
        }
        return $tsan if $t eq '__has_feature' && $arg =~ /^(thread_sanitizer|tsan)$/;
        return undef;
    }
    return $tsan if $t eq '__SANITIZE_THREAD__';
    return $tsan if $tsan_macro{$t};
    return undef;
}
sub evaluate {
    my ($e) = @_;
    return undef unless tokenize($e);
    my $v = e_or();
    return @tok ? undef : $v;
}

# ---- TSan macros: defined under a TSan-dependent condition, never elsewhere
sub find_tsan_macros {
    my %under;
    for my $fl (@lines) {
        my @stack;    # 1 if this level depends on TSan
        for my $ll (@{ $fl->[1] }) {
            my $l = $ll->[0];
            if ($l =~ /^\s*#\s*(if|ifdef|ifndef)\b\s*(.*)$/) {
                my $e = $1 eq 'if' ? $2 : "defined($2)";
                push @stack, mentions_tsan($e);
            } elsif ($l =~ /^\s*#\s*elif\b\s*(.*)$/) {
                $stack[-1] ||= mentions_tsan($1) if @stack;
            } elsif ($l =~ /^\s*#\s*endif\b/) {
                pop @stack;
            } elsif ($l =~ /^\s*#\s*define\s+(\w+)/) {
                $under{$1} = 1 if grep { $_ } @stack;
            }
        }
    }
    return keys %under;
}
# Until nothing changes: a macro defined under another TSan macro's branch
# is one too.
while (1) {
    my $n = keys %tsan_macro;
    $tsan_macro{$_} = 1 for find_tsan_macros();
    last if keys %tsan_macro == $n;
}

# ---- rewrite ---------------------------------------------------------
for my $fl (@lines) {
    my ($f, $ls) = @$fl;
    my @out;
    # Each level: resolved (1/0), state: 'keep' (unresolved, print directives),
    # or for resolved groups: taken (a branch was chosen), active (this branch).
    my @st;
    my $emitting = sub { return !grep { !$_->{active} } @st };
    for my $ll (@$ls) {
        my ($l, $orig) = @$ll;
        if ($l =~ /^\s*#\s*(if|ifdef|ifndef)\b\s*(.*?)\s*$/) {
            my ($kw, $e) = ($1, $2);
            $e = "defined($e)" if $kw eq 'ifdef';
            $e = "!defined($e)" if $kw eq 'ifndef';
            my $v = mentions_tsan($e) ? evaluate($e) : undef;
            if (defined $v) {
                push @st, { resolved => 1, taken => $v ? 1 : 0, active => $v ? 1 : 0 };
            } else {
                push @out, $orig if $emitting->();
                push @st, { resolved => 0, active => 1 };
            }
        } elsif ($l =~ /^\s*#\s*elif\b\s*(.*?)\s*$/) {
            my $e = $1;
            die "$f: #elif without #if\n" unless @st;
            my $top = $st[-1];
            if ($top->{resolved}) {
                if ($top->{taken}) { $top->{active} = 0; next }
                my $v = mentions_tsan($e) ? evaluate($e) : undef;
                if (defined $v) {
                    $top->{active} = $v ? 1 : 0;
                    $top->{taken} = 1 if $v;
                } else {
                    # Unresolved from here on: it becomes the #if of the rest.
                    $top->{active} = 1;
                    $top->{resolved} = 0;
                    $top->{opened} = 1;
                    (my $ifl = $l) =~ s/elif/if/;
                    push @out, $ifl if $emitting->();
                }
            } else {
                # An unresolved group: drop branches that can never be
                # taken; a branch that is surely taken becomes #else and
                # ends the group's alternatives.
                my $v = mentions_tsan($e) ? evaluate($e) : undef;
                if ($top->{done} || (defined $v && !$v)) {
                    $top->{active} = 0;
                } else {
                    $top->{active} = 1;
                    pop @st; my $ok = $emitting->(); push @st, $top;
                    if (defined $v) { $orig = '#else'; $top->{done} = 1 }
                    push @out, $orig if $ok;
                }
            }
        } elsif ($l =~ /^\s*#\s*else\b/) {
            die "$f: #else without #if\n" unless @st;
            my $top = $st[-1];
            if ($top->{resolved}) {
                $top->{active} = $top->{taken} ? 0 : 1;
                $top->{taken} = 1;
            } elsif ($top->{done}) {
                $top->{active} = 0;
            } else {
                $top->{active} = 1;
                pop @st; my $ok = $emitting->(); push @st, $top;
                push @out, $orig if $ok;
            }
        } elsif ($l =~ /^\s*#\s*endif\b/) {
            die "$f: #endif without #if\n" unless @st;
            my $top = pop @st;
            push @out, $orig if (!$top->{resolved} || $top->{opened}) && $emitting->();
        } else {
            push @out, $orig if $emitting->();
        }
    }
    die "$f: unterminated #if\n" if @st;
    (my $dir = "$outdir/$f") =~ s{/[^/]*$}{};
    my $p = '';
    for my $part (split m{/}, $dir) { $p .= "$part/"; mkdir $p unless -d $p }
    open my $oh, '>', "$outdir/$f" or die "$outdir/$f: $!\n";
    print $oh "$_\n" for @out;
    close $oh or die "$outdir/$f: $!\n";
}
