#!/usr/bin/env python3
"""Longest functions of src/ at a git revision: python3 scripts/fn_lengths.py REV [N].

Counts the lines from a `fn` line to the closing brace at its indentation
(rustfmt layout), for the closing notes of issue 18 and to spot growth."""
import re,sys,subprocess
rev=sys.argv[1]
files=subprocess.run(['git','ls-tree','-r','--name-only',rev,'src'],capture_output=True,text=True).stdout.split()
out=[]
for f in files:
    if not f.endswith('.rs'): continue
    lines=subprocess.run(['git','show',f'{rev}:{f}'],capture_output=True,text=True).stdout.split('\n')
    for i,l in enumerate(lines):
        m=re.match(r'^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?fn\s+(\w+)',l)
        if not m: continue
        ind=m.group(1)
        for j in range(i,len(lines)):
            if lines[j]==ind+'}' or (j==i and l.rstrip().endswith('}')):
                out.append((j-i+1,f,m.group(5)));break
            if j>i and lines[j].strip()=='' and False: pass
out.sort(reverse=True)
for n,f,name in out[:int(sys.argv[2]) if len(sys.argv) > 2 else 10]: print(n,f,name)
